import { test as base } from "vitest";
import type { Host } from "../host/host.ts";
import { SERVICES, type ImageMode } from "../images/catalogue.ts";
import { parseImageMode } from "../images/catalogue.ts";
import { ensureImages } from "../images/image-builder.ts";
import { STACK_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { createTarget } from "../targets/targets.ts";
import { secondsSince } from "../format.ts";
import { RunEnv } from "./run-env.ts";

/** Progress lines per phase, so long scenarios show where they are. */
export function phase(line: string): void {
  process.stderr.write(`  ▸ ${line}\n`);
}

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  phase(`${what}…`);
  const result = await work();
  phase(`${what}: done in ${secondsSince(started)}`);
  return result;
}

interface ScenarioFixtures {
  imageMode: ImageMode;
  host: Host;
  stack: Stack;
}

/**
 * The scenarios' `test`: a host from the chosen target, with the stack provisioned and started in the
 * documented order, shared by the tests of one file and torn down after them, also when they fail.
 */
export const test = base.extend<ScenarioFixtures>({
  imageMode: [
    // vitest reads a fixture's dependencies from its first parameter's pattern: empty means none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => use(parseImageMode(process.env[RunEnv.imageMode] ?? "offline")),
    { scope: "file" },
  ],
  host: [
    async ({ imageMode }, use) => {
      const target = createTarget(process.env[RunEnv.target] ?? "container");
      const images = await timed("images", () =>
        ensureImages({ mode: imageMode, services: SERVICES.filter((s) => s !== "toxiproxy") }),
      );
      const host = await timed(`host on ${target.name}`, () =>
        target.start({
          imageMode,
          images: [...images.values()].filter((i) => i.service !== "host"),
          ports: STACK_PORTS,
          progress: phase,
        }),
      );
      try {
        await use(host);
      } finally {
        await host.dispose();
      }
    },
    { scope: "file" },
  ],
  stack: [
    async ({ host, imageMode }, use) => {
      const source = await openStackDir(process.env[RunEnv.stack] ?? BUNDLED_STACK);
      const images = await ensureImages({ mode: imageMode, services: SERVICES });
      const stack = new Stack(host, source, images);
      await timed("provision", () => stack.provision());
      await timed("start in the documented order", () => stack.start("readiness", phase));
      await use(stack);
    },
    { scope: "file" },
  ],
});

export { expect, describe } from "vitest";
