import { ExitCode } from "../errors.ts";
import { readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { stopProcessGroup } from "../lifecycle/process-group.ts";
import { teardownOnSignal } from "../lifecycle/teardown-on-signal.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { readJournals } from "../report/journal.ts";
import { addToJobSummary } from "../report/job-summary.ts";
import { writeRunReport, type RunReportOptions } from "../report/run-report.ts";
import {
  readVitestReport,
  runExitCode,
  testResults,
  VITEST_RESULTS,
  type TestResult,
} from "../results/run-results.ts";
import { reportDir } from "./report-dir.ts";
import { RunEnv, scenarioProcessEnv } from "./run-env.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCENARIOS_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
/** ".ts" in the repository, ".js" in the installed package (compiled when packed). */
const EXT = path.extname(fileURLToPath(import.meta.url));
const VITEST_CONFIG = fileURLToPath(new URL(`../vitest.config${EXT}`, import.meta.url));
// Where npm put vitest: beside this package when it is installed in another project, ours otherwise.
const VITEST = path.join(
  path.dirname(createRequire(import.meta.url).resolve("vitest/package.json")),
  "vitest.mjs",
);
const SUFFIX = `.test${EXT}`;

/** Scenario names: the files of scenarios/, without `.test.ts`. */
export async function listScenarios(): Promise<string[]> {
  return (await readdir(SCENARIOS_DIR))
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
}

/** Tests of scenario files tagged read-only (`// @module-tag read-only`): the release gate's suite. */
export const READ_ONLY = "read-only";

const scenarioFiles = (names: readonly string[]) => names.map((name) => `scenarios/${name}${SUFFIX}`);

/**
 * "file > test" names of the tests in these scenarios, without running them: those that match a vitest
 * tags filter, and whose names contain `grep` as `run --grep` matches them.
 */
export async function listTests(
  names: readonly string[],
  tagsFilter?: string,
  grep?: string,
): Promise<string[]> {
  return withTempDir("list", async (dir) => {
    const out = path.join(dir, "tests.json");
    await execa(
      process.execPath,
      [
        VITEST,
        "list",
        "--config",
        VITEST_CONFIG,
        ...(tagsFilter === undefined ? [] : ["--tags-filter", tagsFilter]),
        ...(grep === undefined ? [] : ["-t", RegExp.escape(grep)]),
        `--json=${out}`,
        ...scenarioFiles(names),
      ],
      { cwd: ROOT },
    );
    const tests = JSON.parse(await readFile(out, "utf8")) as { name: string; file: string }[];
    return tests.map((test) => `${path.basename(test.file, SUFFIX)} > ${test.name}`);
  });
}

/** A finished run of scenario files: its exit code, each test's result, and the reports it wrote. */
export interface ScenarioRun {
  readonly exitCode: number;
  /** Where its reports, journals and findings records are. */
  readonly reportDir: string;
  readonly tests: readonly TestResult[];
  /** Report files by kind (html, summary, junit, findingsJunit, allure, journals, screenshot). */
  readonly reports: Readonly<Record<string, string>>;
}

/**
 * Runs scenario files with vitest, output streamed as it comes (to stderr with `quiet`, so stdout
 * carries only a JSON document), and returns the documented exit code: 0 all passed, 1 a scenario
 * failed, 2 none failed but one was inconclusive (its baseline did not hold), with vitest's results.
 */
export async function runScenarios(
  names: readonly string[],
  grep: string | undefined,
  env: Record<string, string>,
  options: {
    readonly tagsFilter?: string | undefined;
    /** When the run began (ms since the epoch), if before this call: what it wrote since is in its report. */
    readonly startedAt?: number;
    /** vitest's own output to stderr: stdout is kept for a JSON document (`--json`). */
    readonly quiet?: boolean;
    /** The checkout's blockers (the static audit's): a run whose tests all passed fails on them. */
    readonly blockers?: number;
  } = {},
): Promise<ScenarioRun> {
  const started = options.startedAt ?? Date.now();
  const { tagsFilter } = options;
  const reports = env[RunEnv.reportDir] ?? reportDir();
  // A report of an earlier run must not be read as this one's.
  await rm(path.join(reports, VITEST_RESULTS), { force: true });
  const vitest = execa(
    process.execPath,
    [
      VITEST,
      "run",
      "--config",
      VITEST_CONFIG,
      ...(grep === undefined ? [] : ["-t", RegExp.escape(grep)]),
      ...(tagsFilter === undefined ? [] : ["--tags-filter", tagsFilter]),
      ...scenarioFiles(names),
    ],
    {
      cwd: ROOT,
      env: scenarioProcessEnv({ ...env, [RunEnv.reportDir]: reports }),
      extendEnv: false,
      stdio: ["ignore", options.quiet === true ? 2 : "inherit", "inherit"],
      reject: false,
      detached: true,
    },
  );
  const { pid } = vitest;
  const unregister =
    pid === undefined ? () => undefined : teardownOnSignal((signal) => stopProcessGroup(pid, signal));
  const result = await vitest.finally(unregister);
  const vitestReport = await readVitestReport(reports);
  const journals = await readJournals(path.join(reports, "journals"), started);
  const tests = vitestReport === undefined ? [] : testResults(vitestReport, ROOT, journals);
  const tested = runExitCode(result.exitCode ?? 1, tests);
  // Decided before the report is written: it says the exit code the run ends with.
  const exitCode = (options.blockers ?? 0) > 0 && tested === ExitCode.passed ? ExitCode.failed : tested;
  const written = await reportRun({
    reportDir: reports,
    sinceMs: started,
    target: env[RunEnv.target] ?? "container",
    exitCode,
    runId: env[RunEnv.runId] ?? "run",
    tests,
  });
  return {
    exitCode,
    reportDir: reports,
    tests,
    reports: {
      junit: path.join(reports, "junit.xml"),
      vitest: path.join(reports, VITEST_RESULTS),
      allure: path.join(reports, "allure-results"),
      journals: path.join(reports, "journals"),
      ...written,
    },
  };
}

/**
 * Writes the run's HTML page, Markdown summary and screenshot, and adds the summary to the CI job's
 * page when there is one ($GITHUB_STEP_SUMMARY). A report that cannot be written is said, and does not
 * change the run's verdict.
 */
async function reportRun(options: RunReportOptions): Promise<Record<string, string>> {
  try {
    const report = await writeRunReport(options);
    process.stderr.write(
      `report: ${report.html} (screenshot: ${report.screenshot ?? report.skipped ?? "none"}), summary ${report.markdown}${report.findingsJunit === undefined ? "" : `, findings as JUnit ${report.findingsJunit}`}\n`,
    );
    await addToJobSummary(report.markdown);
    return {
      html: report.html,
      summary: report.markdown,
      ...(report.findingsJunit === undefined ? {} : { findingsJunit: report.findingsJunit }),
      ...(report.screenshot === undefined ? {} : { screenshot: report.screenshot }),
    };
  } catch (error) {
    process.stderr.write(`report: not written: ${(error as Error).message}\n`);
    return {};
  }
}
