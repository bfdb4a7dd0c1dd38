// Benchmark of the targets (not a test): the same scenarios, smoke and nginx-502, on the container
// target and on the Vagrant target (local Debian 12 box, QEMU), one after the other in one run, through
// the real command line. Prints per target the time to a ready host (for the VM: `vagrant up` to
// SSH-ready), image loading, provisioning in the host, each test's wall time, and the ratios.
// Run: npm run bench:targets   (about a quarter of an hour: the VM runs under software emulation)
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { testTimes } from "./test-times.ts";
import { vmRunDeadlineMs } from "../targets/vagrant/vagrant-cli.ts";

const SCENARIOS = ["smoke", "nginx-502"];
const TARGETS = ["container", "vagrant"] as const;
/** smoke's 3 tests and nginx-502's 4; the VM's deadline comes from its measured phases. */
const DEADLINE_MS: Record<(typeof TARGETS)[number], number> = {
  container: 30 * 60_000,
  vagrant: vmRunDeadlineMs({ files: SCENARIOS.length, tests: 7 }),
};

interface Measured {
  readonly exitCode: number;
  readonly wallS: number;
  /** Phase durations in seconds, read from the run's progress lines. */
  readonly phases: Record<string, number>;
  /** Test name -> seconds, from the run's JUnit report. */
  readonly tests: Record<string, number>;
}

/** Progress lines worth a figure: "<what>: done in 12.3s" and the VM's own boot lines. */
const PHASE_LINES: readonly [string, RegExp][] = [
  ["host ready (boot, images loaded, stack provisioned)", /▸ (?:\[[\w-]+\] )?host on \w+: done in ([\d.]+)s/],
  [
    "container: systemd running, inner Docker up",
    /host sattva-chaos-host-\w+: systemd running, inner Docker up in ([\d.]+)s/,
  ],
  [
    "vm: vagrant up to SSH-ready (systemd running, Docker up)",
    /vm sattva-chaos-vm-\w+: SSH-ready .* in ([\d.]+)s/,
  ],
  ["images loaded into the host", /image\(s\) loaded .*in ([\d.]+)s/],
  ["provision in the host", /host \S+: provisioned in ([\d.]+)s/],
  ["start in the documented order", /▸ (?:\[[\w-]+\] )?start in the documented order: done in ([\d.]+)s/],
];

async function measure(target: (typeof TARGETS)[number]): Promise<Measured> {
  return withTempDir(`bench-${target}`, async (dir) => {
    const started = performance.now();
    const run = await sattvaChaos(
      ["run", ...SCENARIOS, "--target", target, "--report", dir],
      {},
      {
        timeoutMs: DEADLINE_MS[target],
      },
    );
    const wallS = (performance.now() - started) / 1000;
    const phases: Record<string, number> = {};
    for (const [name, pattern] of PHASE_LINES) {
      // Each scenario file boots its own host: sum over the files.
      const seen = [...run.stderr.matchAll(new RegExp(pattern, "g"))].map((m) => Number(m[1]));
      if (seen.length > 0) phases[`${name} (${seen.length}×, total)`] = seen.reduce((a, b) => a + b, 0);
    }
    const tests = Object.fromEntries(
      Object.entries(await testTimes(dir)).map(([name, s]) => [name.slice(0, 70), s]),
    );
    if (run.timedOut)
      process.stderr.write(`bench: the run on ${target} passed its deadline and was stopped\n`);
    if (run.exitCode !== 0) process.stderr.write(run.stderr.slice(-3000));
    return { exitCode: run.exitCode, wallS, phases, tests };
  });
}

const results: Partial<Record<(typeof TARGETS)[number], Measured>> = {};
for (const target of TARGETS) {
  process.stderr.write(`bench: ${SCENARIOS.join(" ")} on ${target}…\n`);
  results[target] = await measure(target);
}

const out = (line = "") => process.stdout.write(`${line}\n`);
const fmt = (value: number | undefined) => (value === undefined ? "—" : `${value.toFixed(1)} s`);
out(`\ntargets benchmark (${new Date().toISOString()}): ${SCENARIOS.join(" ")}, same scenario files`);
const { container, vagrant } = results;
out(`${"".padEnd(70)} ${"container".padStart(12)} ${"vagrant".padStart(12)} ${"ratio".padStart(7)}`);
const row = (name: string, a: number | undefined, b: number | undefined) =>
  out(
    `${name.slice(0, 70).padEnd(70)} ${fmt(a).padStart(12)} ${fmt(b).padStart(12)} ${
      a !== undefined && b !== undefined && a > 0 ? `${(b / a).toFixed(1)}×`.padStart(7) : "".padStart(7)
    }`,
  );
const phaseNames = new Set([...Object.keys(container?.phases ?? {}), ...Object.keys(vagrant?.phases ?? {})]);
for (const name of phaseNames) row(name, container?.phases[name], vagrant?.phases[name]);
const testNames = new Set([...Object.keys(container?.tests ?? {}), ...Object.keys(vagrant?.tests ?? {})]);
for (const name of testNames) row(`test ${name}`, container?.tests[name], vagrant?.tests[name]);
row("wall time of the whole run", container?.wallS, vagrant?.wallS);
out(`exit codes: container ${container?.exitCode ?? "—"}, vagrant ${vagrant?.exitCode ?? "—"}`);
// Figures of a failed run are printed, but the benchmark does not pass: a killed run's code is negative.
process.exitCode = TARGETS.every((target) => results[target]?.exitCode === 0) ? 0 : 1;
