// A harness killed mid-scenario cannot heal its faults: the host's dead-man switch must, within its
// interval, and `clean` must then remove the host the dead harness left on this machine.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { docker } from "../docker/docker-cli.ts";
import { ExitCode } from "../errors.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { hostResources } from "../testing/host-resources.ts";
import { until } from "../waits/wait.ts";
import { DEAD_MAN_TIMING, LIST_DEAD_MAN_SWITCHES } from "./dead-man-switch.ts";

const HOLD_FAULT = fileURLToPath(new URL("../testing/hold-fault.ts", import.meta.url));
let harness: ChildProcess | undefined;

afterAll(() => harness?.kill("SIGKILL"));

/** Runs a command in the host container, as the dead harness would have. */
async function onHost(host: string, command: string): Promise<string> {
  return (await docker(["exec", host, "bash", "-c", command], { check: false })).stdout.trim();
}

const toxicsOnHost = (host: string) =>
  onHost(
    host,
    "curl -fsS -m 5 http://127.0.0.1:8474/proxies/backend-postgres | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"toxics\"]))'",
  );
const apiHealth = (host: string) =>
  onHost(host, "curl -s -o /dev/null -m 10 -w '%{http_code}' http://127.0.0.1:3000/api/health");
const deadManSwitches = (host: string) => onHost(host, LIST_DEAD_MAN_SWITCHES);

it("after a SIGKILL mid-fault, the dead-man switch heals the host; `clean` removes it", async () => {
  const child = spawn(process.execPath, [HOLD_FAULT], { stdio: ["ignore", "pipe", "inherit"] });
  harness = child;
  let host = "";
  for await (const line of createInterface({ input: child.stdout })) {
    host = line.trim();
    break;
  }
  expect(host, "the harness deployed the stack and injected the partition").toMatch(/^sattva-chaos-host-/);
  expect(await toxicsOnHost(host), "the partition's two toxics are in place").toBe("2");
  expect(await apiHealth(host)).toBe("503");
  expect(await deadManSwitches(host)).toContain("sattva-chaos-dead-man-");

  child.kill("SIGKILL");
  await once(child, "exit");
  const killedAt = performance.now();
  // The switch fires once no beat came for its grace period, looking every checkSeconds.
  const { graceSeconds, checkSeconds } = DEAD_MAN_TIMING;
  await until(
    "the dead-man switch to heal the partition",
    async () => {
      const toxics = await toxicsOnHost(host);
      return { ready: toxics === "0", detail: `${toxics} toxics on backend-postgres` };
    },
    500,
  ).waitUntilReady((graceSeconds + 2 * checkSeconds + 5) * 1000);
  process.stderr.write(`healed ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the SIGKILL\n`);
  await until(
    "/api/health to answer 200 again",
    async () => {
      const status = await apiHealth(host);
      return { ready: status === "200", detail: `status ${status}` };
    },
    1_000,
  ).waitUntilReady(60_000);
  expect(await deadManSwitches(host), "the switch removed itself").toBe("");

  const cleaned = await sattvaChaos(["clean"]);
  expect(cleaned.exitCode, cleaned.stderr).toBe(ExitCode.passed);
  expect(cleaned.stderr).toContain(host);
  expect(Object.values(await hostResources(host)).flat()).toEqual([]);
});
