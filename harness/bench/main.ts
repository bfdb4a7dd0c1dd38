// Benchmark of the main job (not a test): `sattva-chaos run` of every scenario file, warm (images
// present), through the real command line. Prints per scenario file and in total where the time went:
// host ready (boot, engine, stack provisioned or copied from a template), provisioning, the start in
// the documented order, the steady state, time in faults, and the floor the deployment's own timers
// set (alert `for:` windows, RestartSec, proxy_read_timeout, read from the stack by the audit), with
// the harness's overhead above that floor as a ratio. Then one file with host templates and without,
// side by side in the same run.
// Run: npm run bench:main   (about 15 minutes on 2 cores)
import os from "node:os";
import path from "node:path";
import { audit } from "../audit/audit.ts";
import { readJournals, type Journal } from "../report/journal.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { defaultJobs, thisMachine } from "../scenario/jobs.ts";
import { RunEnv } from "../scenario/run-env.ts";
import { listScenarios } from "../scenario/run-scenarios.ts";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { testTimes } from "./test-times.ts";
import { deploymentTimers, timerFloor, type DeploymentTimers } from "./timer-floor.ts";

const SIDE_BY_SIDE = "smoke";
/** Smoke's first test: a host made, the stack started in the documented order, the steady state checked. */
const GREEN_BASELINE = "smoke > the documented deployment reaches its steady state";
const DEADLINE_MS = 60 * 60_000;

/** Per-file phases read from the run's progress lines (`▸ [file] …`), in seconds. */
const PHASES: readonly [string, RegExp][] = [
  ["host ready", /host on \w+: done in ([\d.]+)s/],
  ["provision", /host \S+: provisioned in ([\d.]+)s/],
  ["start", /start in the documented order: done in ([\d.]+)s/],
  ["chaos mode", /chaos mode: toxiproxy between the services: done in ([\d.]+)s/],
];

interface FileFigures {
  readonly phases: Record<string, number>;
  readonly fromTemplate: boolean;
  readonly steadyState: number;
  readonly inFaults: number;
  readonly floor: number;
  readonly tests: number;
  /** Its tests' time as vitest reports it (the first test's includes the host and the start). */
  readonly wall: number;
}

interface RunFigures {
  readonly exitCode: number;
  readonly wall: number;
  readonly files: ReadonlyMap<string, FileFigures>;
  /** Each test's seconds ("file > test"); a file's first test includes its host and the start. */
  readonly tests: Record<string, number>;
}

async function measure(files: readonly string[], env: Record<string, string>, timers: DeploymentTimers) {
  return withTempDir("bench-main", async (dir): Promise<RunFigures> => {
    const started = performance.now();
    const startedAt = Date.now();
    const run = await sattvaChaos(["run", ...files, "--report", dir], env, { timeoutMs: DEADLINE_MS });
    const wall = (performance.now() - started) / 1000;
    if (run.exitCode !== 0) process.stderr.write(run.stderr.slice(-3000));
    const journals = await readJournals(path.join(dir, "journals"), startedAt);
    const tests = await testTimes(dir);
    const figures = new Map<string, FileFigures>();
    for (const file of files) {
      const lines = run.stderr.split("\n").filter((line) => line.includes(`▸ [${file}] `));
      const phases: Record<string, number> = {};
      for (const [name, pattern] of PHASES) {
        const seen = lines.flatMap((line) => {
          const match = pattern.exec(line);
          return match === null ? [] : [Number(match[1])];
        });
        if (seen.length > 0) phases[name] = seen.reduce((a, b) => a + b, 0);
      }
      const own = journals.filter((journal) => journal.scenario === file);
      figures.set(file, {
        phases,
        fromTemplate: lines.some((line) => /provisioned: a copy of/.test(line)),
        steadyState: sum(own, (j) => atMs(j, "steady state holds") / 1000),
        inFaults: sum(own, (j) => faultSeconds(j)),
        floor: sum(own, (j) => timerFloor(j, timers)),
        ...fileTime(tests, file),
      });
    }
    return {
      exitCode: run.exitCode,
      wall,
      files: figures,
      tests,
    };
  });
}

/** A file's tests (every one, with or without a journal) and their time summed. */
function fileTime(tests: Record<string, number>, file: string): { tests: number; wall: number } {
  const own = Object.entries(tests).filter(([name]) => name.startsWith(`${file} > `));
  return { tests: own.length, wall: sum(own, ([, seconds]) => seconds) };
}

function sum<T>(items: readonly T[], of: (item: T) => number): number {
  return items.reduce((total, item) => total + of(item), 0);
}

function atMs(journal: Journal, label: string): number {
  return journal.timeline.find((event) => event.label === label)?.atMs ?? 0;
}

function faultSeconds(journal: Journal): number {
  return sum(journal.faults ?? [], (f) => ((f.healedAtMs ?? 0) - (f.injectedAtMs ?? 0)) / 1000);
}

const out = (line = "") => process.stdout.write(`${line}\n`);
const s = (value: number | undefined) => (value === undefined ? "—" : `${value.toFixed(1)} s`);
const ratio = (time: number, floor: number) =>
  floor > 0 ? `${((time / floor - 1) * 100).toFixed(0)} %` : "—";

process.stderr.write("bench: reading the stack's timers (audit)…\n");
const timers = deploymentTimers((await audit({ stack: BUNDLED_STACK })).context);
const scenarios = await listScenarios();
const jobs = defaultJobs(thisMachine(), scenarios.length);
process.stderr.write(`bench: the main job, ${scenarios.length} files, ${jobs} at once…\n`);
const main = await measure(scenarios, {}, timers);
process.stderr.write(`bench: ${SIDE_BY_SIDE} with host templates, then without…\n`);
const withTemplate = await measure([SIDE_BY_SIDE], {}, timers);
const withoutTemplate = await measure([SIDE_BY_SIDE], { [RunEnv.templates]: "off" }, timers);

out(
  `\nmain job benchmark (${new Date().toISOString()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ${jobs} job(s)), exit ${main.exitCode}`,
);
out(
  `timers read from the stack: ${[...timers.alertFor].map(([a, f]) => `${a} for ${f}s`).join(", ")}; ` +
    `RestartSec ${[...timers.restartSec].map(([u, r]) => `${u} ${r}s`).join(", ")}; proxy_read_timeout ${timers.proxyReadTimeout}s`,
);
const columns = ["host ready", "provision", "start", "steady", "in faults", "floor", "file", "overhead"];
out(`${"file".padEnd(22)}${columns.map((c) => c.padStart(11)).join("")}`);
let [totalFile, totalFloor] = [0, 0];
for (const [file, f] of main.files) {
  totalFile += f.wall;
  totalFloor += f.floor;
  const host = `${s(f.phases["host ready"])}${f.fromTemplate ? "*" : " "}`;
  const cells = [host, s(f.phases["provision"]), s(f.phases["start"]), s(f.steadyState), s(f.inFaults)];
  out(
    `${`${file} (${f.tests})`.padEnd(22)}${[...cells, s(f.floor), s(f.wall), ratio(f.wall, f.floor)]
      .map((c) => c.padStart(11))
      .join("")}`,
  );
}
out("  * the host was a copy of the provisioned-host template (no provisioning of its own)");
out(
  `sum over files: ${s(totalFile)} against a timer floor of ${s(totalFloor)}: overhead ${ratio(totalFile, totalFloor)}`,
);
out(
  `whole run: ${s(main.wall)} with ${jobs} job(s); the floor spread over them is ${s(totalFloor / jobs)}: overhead ${ratio(main.wall, totalFloor / jobs)}`,
);
const [one, two] = [withTemplate.files.get(SIDE_BY_SIDE), withoutTemplate.files.get(SIDE_BY_SIDE)];
// The file's first test waits for its host and the documented start, then checks the steady state.
const [green, greenWithout] = [withTemplate, withoutTemplate].map((run) => run.tests[GREEN_BASELINE]);
out(
  `from nothing to the green baseline (host, documented start, steady state checked; "${GREEN_BASELINE}"): ` +
    `${s(green)} with the template vs ${s(greenWithout)} without`,
);
out(
  `${SIDE_BY_SIDE} side by side: host ready ${s(one?.phases["host ready"])} from the template vs ${s(two?.phases["host ready"])} without ` +
    `(${one !== undefined && two !== undefined ? ((two.phases["host ready"] ?? 0) / (one.phases["host ready"] ?? 1)).toFixed(1) : "—"}×); ` +
    `whole run ${s(withTemplate.wall)} vs ${s(withoutTemplate.wall)} (${(withoutTemplate.wall / withTemplate.wall).toFixed(1)}×)`,
);
process.exitCode = [main, withTemplate, withoutTemplate].every((r) => r.exitCode === 0) ? 0 : 1;
