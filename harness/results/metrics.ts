import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";
import { UsageError } from "../errors.ts";
import type { RunResults } from "./run-results.ts";

/**
 * Checks `--metrics FILE` before the run, not after twenty minutes of it: its directory must exist and
 * be writable (the file is written there, then renamed into place).
 */
export function checkMetricsFile(file: string | undefined): void {
  if (file === undefined) return;
  const dir = path.dirname(path.resolve(file));
  const isDir = (() => {
    try {
      return statSync(dir).isDirectory();
    } catch {
      return false;
    }
  })();
  if (!isDir)
    throw new UsageError(`--metrics ${file}: no directory ${dir} (expected a file in an existing directory)`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(
      `--metrics ${file}: ${dir} is not writable (expected a directory this user can write)`,
    );
  }
}

/** A label value in the text exposition format: backslash, double quote and newline escaped. */
const labelValue = (text: string) =>
  text.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");

const labels = (pairs: Readonly<Record<string, string>>) =>
  `{${Object.entries(pairs)
    .map(([name, value]) => `${name}="${labelValue(value)}"`)
    .join(",")}}`;

/** The measured times of a chaos test's results, by what they measure: `time to detect (s)` -> detect. */
function timings(
  results: Readonly<Record<string, unknown>>,
): { what: string; alert?: string; seconds: number }[] {
  return Object.entries(results).flatMap(([key, value]) => {
    if (typeof value !== "number") return [];
    const alert = /^time to alert (\S+) \(s\)$/.exec(key)?.[1];
    if (alert !== undefined) return [{ what: "alert", alert, seconds: value }];
    const what = /^time to (detect|recover) \(s\)$/.exec(key)?.[1];
    return what === undefined ? [] : [{ what, seconds: value }];
  });
}

/**
 * A run's results as metrics in the text format the node exporter's textfile collector reads (and
 * OpenMetrics, with its `# EOF`): the run's exit code and time, tests by status, each test's outcome,
 * a chaos test's time to detect, alert and recover, findings by severity. Graphed next to the
 * deployment's own dashboards, they show a team its nights.
 */
export function renderMetrics(results: RunResults): string {
  const run = { command: results.command, target: results.target };
  const lines: string[] = [];
  const family = (name: string, help: string, samples: readonly string[]) => {
    if (samples.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples);
  };
  family("sattva_chaos_run_exit_code", "The run's exit code: 0 passed, 1 failed, 2 inconclusive.", [
    `sattva_chaos_run_exit_code${labels(run)} ${results.exitCode}`,
  ]);
  family("sattva_chaos_run_timestamp_seconds", "When the run started, in seconds since the epoch.", [
    `sattva_chaos_run_timestamp_seconds${labels(run)} ${Date.parse(results.startedAt) / 1000}`,
  ]);
  family("sattva_chaos_run_duration_seconds", "How long the run took.", [
    `sattva_chaos_run_duration_seconds${labels(run)} ${results.durationMs / 1000}`,
  ]);
  family(
    "sattva_chaos_tests",
    "Tests of the run by how they ended.",
    Object.entries(results.counts).map(
      ([status, count]) => `sattva_chaos_tests${labels({ ...run, status })} ${count}`,
    ),
  );
  family(
    "sattva_chaos_test_passed",
    "1 if the test passed, 0 if it failed or was inconclusive (skipped tests are left out).",
    results.tests
      .filter((test) => test.status !== "skipped")
      .map(
        (test) =>
          `sattva_chaos_test_passed${labels({ ...run, scenario: test.scenario, test: test.name, status: test.status })} ${test.status === "passed" ? 1 : 0}`,
      ),
  );
  const measured = results.tests.flatMap((test) =>
    timings(test.results ?? {}).map((timing) => ({ test, ...timing })),
  );
  for (const what of ["detect", "alert", "recover"] as const)
    family(
      `sattva_chaos_time_to_${what}_seconds`,
      `Seconds from the fault to ${what === "detect" ? "its first symptom" : what === "alert" ? "the alert firing" : "the steady state back"}.`,
      measured
        .filter((m) => m.what === what)
        .map(
          (m) =>
            `sattva_chaos_time_to_${what}_seconds${labels({ ...run, scenario: m.test.scenario, test: m.test.name, ...(m.alert === undefined ? {} : { alertname: m.alert }) })} ${m.seconds}`,
        ),
    );
  const bySeverity = { blocker: 0, warning: 0, info: 0 };
  for (const record of results.findings)
    for (const finding of record.findings) bySeverity[finding.severity]++;
  family(
    "sattva_chaos_findings",
    "Findings of the run (static, topology and exposure audits) by severity.",
    Object.entries(bySeverity).map(
      ([severity, count]) => `sattva_chaos_findings${labels({ ...run, severity })} ${count}`,
    ),
  );
  return `${lines.join("\n")}\n# EOF\n`;
}
