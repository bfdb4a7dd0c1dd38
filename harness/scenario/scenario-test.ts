import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, test as base } from "vitest";
import type { Host } from "../host/host.ts";
import { parseImageMode, type ImageMode, type Service } from "../images/catalogue.ts";
import { ensureImages, imagesForHostEngine, type ResolvedImage } from "../images/image-builder.ts";
import { HOST_PORTS } from "../stack-ports.ts";
import { ToxiproxyOverlay } from "../network/toxiproxy-overlay.ts";
import { BUNDLED_STACK, openStackDir, type StackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { ChaosRun } from "../chaos/chaos-run.ts";
import { findResidue } from "../chaos/residue.ts";
import { UpdateTimerGuard } from "../chaos/update-timer.ts";
import { InconclusiveError, verdictOf, type Verdict } from "../chaos/verdict.ts";
import { createTarget } from "../targets/targets.ts";
import { secondsSince } from "../format.ts";
import { describeSeverityCounts, type Finding } from "../findings/finding.ts";
import { renderFindingsText } from "../findings/text.ts";
import { attachText } from "../report/allure.ts";
import { writeFindingsRecord } from "../report/findings-record.ts";
import { reportDir, slug } from "./report-dir.ts";
import { imageIds, stackCommit, type ReplayRecord } from "./replay.ts";
import { RunEnv, targetOptionsFromEnv } from "./run-env.ts";

/** Progress lines per phase, so long scenarios show where they are; each names its scenario file. */
export function phase(line: string): void {
  const file = expect.getState().testPath;
  const scenario = file === undefined ? "" : `[${path.basename(file, ".test.ts")}] `;
  process.stderr.write(`  ▸ ${scenario}${line}\n`);
}

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  phase(`${what}…`);
  const result = await work();
  phase(`${what}: done in ${secondsSince(started)}`);
  return result;
}

/**
 * Keeps findings a test made on the host (the topology audit) for the run's report, its Findings
 * section, and as an attachment of the test; prints them as a phase.
 */
export async function recordFindings(
  name: string,
  source: string,
  findings: readonly Finding[],
): Promise<void> {
  const text = renderFindingsText(findings);
  phase(`${source}: ${describeSeverityCounts(findings)}\n${text}`);
  await writeFindingsRecord(reportDir("findings"), slug(name), source, findings);
  await attachText(`${slug(name)}.txt`, text);
}

/** A destructive test on a host whose owner has not declared it disposable (or without --allow-destructive). */
export class FaultsRefusedError extends Error {
  override readonly name = "FaultsRefusedError";
}

/** The images of this file's hosts, resolved once per file and only for targets that make hosts. */
let images: Promise<ReadonlyMap<Service, ResolvedImage>> | undefined;
function imagesOf(mode: ImageMode): Promise<ReadonlyMap<Service, ResolvedImage>> {
  return (images ??= timed("images", () => ensureImages({ mode })));
}

/** The `sattva-chaos run` these scenario files belong to, if any (a target may share hosts within it). */
function runOfThisProcess(): { run?: { id: string; owner: string } } {
  const id = process.env[RunEnv.runId];
  const owner = process.env[RunEnv.runOwner];
  return id === undefined || owner === undefined ? {} : { run: { id, owner } };
}

interface ScenarioFixtures {
  imageMode: ImageMode;
  images: ReadonlyMap<Service, ResolvedImage>;
  stackDir: StackDir;
  host: Host;
  stack: Stack;
  /** Chaos mode for the file's stack, applied by the first test that asks for `network`. */
  chaosModeOfFile: { apply(): Promise<ToxiproxyOverlay> };
  network: ToxiproxyOverlay;
  chaos: ChaosRun;
  /**
   * "held": the deployment's daily update timer cannot run its service during the test (on hosts the
   * harness made; elsewhere a test it interrupts is inconclusive). "live": the test runs the update.
   */
  updateTimer: "held" | "live";
  replayBase: Omit<ReplayRecord, "scenario" | "test">;
  keepLogsOnFailure: undefined;
}

/** The stack of the running file, if a test asked for one: its logs are kept when a test fails. */
let deployed: Stack | undefined;
/** Chaos mode on the running file's stack, if a test asked for it: its toxics are part of the residue audit. */
let chaosMode: ToxiproxyOverlay | undefined;

/** Writes the units' journals and the compose logs under <report dir>/logs/<file>/<test>/. */
async function keepLogs(stack: Stack, task: { name: string; file: { name: string } }): Promise<void> {
  const dir = reportDir("logs", slug(path.basename(task.file.name)), slug(task.name));
  await mkdir(dir, { recursive: true });
  for (const [name, log] of Object.entries(await stack.logs())) {
    const text = stack.deployment.redact(log);
    await writeFile(path.join(dir, name), text);
    await attachText(name, text);
  }
  phase(`logs of the failed test kept in ${dir}`);
}

/**
 * The scenarios' `test`: a host from the chosen target, with the stack provisioned and started in the
 * documented order, shared by the tests of one file and torn down after them, also when they fail.
 * When a test fails, the journals and compose logs are kept in the report.
 */
export const test = base.extend<ScenarioFixtures>({
  imageMode: [
    // vitest reads a fixture's dependencies from its first parameter's pattern: empty means none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => use(parseImageMode(process.env[RunEnv.imageMode] ?? "offline")),
    { scope: "file" },
  ],
  images: [async ({ imageMode }, use) => use(await imagesOf(imageMode)), { scope: "file" }],
  stackDir: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => use(await openStackDir(process.env[RunEnv.stack] ?? BUNDLED_STACK)),
    { scope: "file" },
  ],
  host: [
    async ({ imageMode, stackDir }, use) => {
      const target = createTarget(process.env[RunEnv.target] ?? "container", targetOptionsFromEnv());
      // A made host's engine gets the images of the stack's services and toxiproxy (chaos mode), and
      // the stack provisioned; an existing host already has its own.
      const made = target.provenance === "made";
      const images = made ? await imagesOf(imageMode) : undefined;
      const host = await timed(`host on ${target.name}`, async () =>
        target.start({
          imageMode,
          images: images === undefined ? [] : imagesForHostEngine(images),
          ports: HOST_PORTS,
          keep: process.env[RunEnv.keep] === "true",
          templates: process.env[RunEnv.templates] !== "off",
          ...(images === undefined ? {} : { provisioning: await Stack.provisioning(stackDir, images) }),
          ...runOfThisProcess(),
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
    async ({ host, imageMode, stackDir }, use) => {
      let stack: Stack;
      if (host.provenance === "existing") {
        stack = await timed(`attach to the stack deployed on ${host.name}`, () =>
          Stack.attach(host, stackDir),
        );
      } else {
        // Provisioned by the target (HostOptions.provisioning), from its template where it keeps one.
        stack = new Stack(host, stackDir, await imagesOf(imageMode));
        await timed("start in the documented order", () => stack.start("readiness", phase));
        await host.baseline?.save();
      }
      deployed = stack;
      try {
        await use(stack);
      } finally {
        deployed = undefined;
      }
    },
    { scope: "file" },
  ],
  chaosModeOfFile: [
    async ({ stack, images }, use) => {
      // Applied when a test first asks for `network`, once per file, reverted after the file's tests.
      let applied: Promise<ToxiproxyOverlay> | undefined;
      const apply = () =>
        (applied ??= (async () => {
          const toxiproxy = images.get("toxiproxy")?.ref;
          if (toxiproxy === undefined) throw new Error("no toxiproxy image for chaos mode");
          chaosMode = await timed("chaos mode: toxiproxy between the services", () =>
            ToxiproxyOverlay.apply(stack, toxiproxy),
          );
          return chaosMode;
        })());
      try {
        await use({ apply });
      } finally {
        const overlay = chaosMode;
        chaosMode = undefined;
        if (overlay !== undefined) await timed("chaos mode reverted", () => overlay.revert());
      }
    },
    { scope: "file" },
  ],
  // After the test's chaos run: a refusal comes before chaos mode changes anything, and a checkout
  // chaos mode cannot run on gives each test an inconclusive verdict in its journal.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- vitest sets up what the pattern names
  network: async ({ chaos, chaosModeOfFile }, use) => {
    await use(await chaosModeOfFile.apply());
  },
  replayBase: [
    async ({ stack, imageMode }, use) => {
      await use({
        target: process.env[RunEnv.target] ?? "container",
        stack: stack.source.dir,
        stackCommit: await stackCommit(stack.source.dir),
        imageMode,
        images: stack.host.provenance === "made" ? await imageIds(await imagesOf(imageMode)) : {},
      });
    },
    { scope: "file" },
  ],
  updateTimer: "held",
  chaos: async ({ stack, replayBase, task, onTestFinished, updateTimer }, use) => {
    // The guard every fault passes: an existing host is broken only when both keys turned.
    if (!stack.host.faults.allowed) throw new FaultsRefusedError(stack.host.faults.reason);
    const run = new ChaosRun(stack);
    const scenario = path.basename(task.file.name, ".test.ts");
    let residue: string[] = [];
    let spoiled: string | undefined;
    onTestFinished(async ({ task: finished }) => {
      const judged = verdictOf(finished.result?.state === "pass", finished.result?.errors ?? []);
      const undecided = run.undecidedClaims.join("; ");
      const verdict: Verdict =
        spoiled !== undefined
          ? { status: "inconclusive", reason: spoiled }
          : judged.status === "passed" && undecided !== ""
            ? { status: "inconclusive", reason: undecided }
            : judged;
      const replay = { ...replayBase, scenario, test: task.name };
      const journal = await run.writeJournal({ scenario, test: task.name, verdict, replay, residue });
      phase(`${verdict.status}; results ${JSON.stringify(run.results)}; journal ${journal}`);
    });
    const timerGuard = await UpdateTimerGuard.start(stack, updateTimer === "held");
    try {
      await use(run);
    } finally {
      // Healed and audited whatever happened; a failed heal is reported with the residue.
      const unhealed = await run.heal().then(
        (): string[] => [],
        (error: unknown) => [(error as Error).message],
      );
      spoiled = await timerGuard?.end().catch((error: unknown) => {
        unhealed.push(`the update timer's service not released: ${(error as Error).message}`);
        return undefined;
      });
      residue = [
        ...unhealed,
        ...(await run.leftovers()),
        ...(await findResidue(stack, {
          markers: run.markers,
          before: run.hostBefore,
          switchOutlivingTheTest: chaosMode?.deadManSwitch,
        })),
      ];
      // The harness's marker schema goes with the run: nothing of it stays in the deployment's database.
      residue.push(
        ...(await run.markers
          .drop()
          .catch((error: unknown) => [`marker schema not dropped: ${(error as Error).message}`])),
      );
    }
    if (residue.length > 0) throw new Error(`left behind after the scenario:\n${residue.join("\n")}`);
    if (spoiled !== undefined) throw new InconclusiveError(spoiled);
    // Claims that could not be judged leave a test that failed nothing undecided, naming them.
    if (run.undecidedClaims.length > 0) throw new InconclusiveError(run.undecidedClaims.join("; "));
  },
  keepLogsOnFailure: [
    async ({ task, onTestFailed }, use) => {
      onTestFailed(async () => {
        if (deployed !== undefined) await keepLogs(deployed, task);
      });
      await use(undefined);
    },
    { auto: true },
  ],
});

export { expect, describe } from "vitest";
