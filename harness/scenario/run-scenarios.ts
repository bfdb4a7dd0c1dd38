import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { ExitCode } from "../errors.ts";
import { stopProcessGroup } from "../lifecycle/process-group.ts";
import { teardownOnSignal } from "../lifecycle/teardown-on-signal.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { readJournals } from "../report/journal.ts";
import { addToJobSummary } from "../report/job-summary.ts";
import { writeRunReport, type RunReportOptions } from "../report/run-report.ts";
import { reportDir } from "./report-dir.ts";
import { RunEnv, scenarioProcessEnv } from "./run-env.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCENARIOS_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const VITEST_CONFIG = fileURLToPath(new URL("../vitest.config.ts", import.meta.url));
const VITEST = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
const SUFFIX = ".test.ts";

/** Scenario names: the files of scenarios/, without `.test.ts`. */
export async function listScenarios(): Promise<string[]> {
  return (await readdir(SCENARIOS_DIR))
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
}

/** Failed and errored tests of the last vitest run, from its JUnit report (written by the config). */
async function failedTestCount(junitReport: string): Promise<number> {
  const junit = await readFile(junitReport, "utf8").catch(() => "");
  const counts = /<testsuites [^>]*failures="(\d+)" errors="(\d+)"/.exec(junit);
  return counts === null ? Number.NaN : Number(counts[1]) + Number(counts[2]);
}

/** Tests of scenario files tagged read-only (`// @module-tag read-only`): the release gate's suite. */
export const READ_ONLY = "read-only";

const scenarioFiles = (names: readonly string[]) => names.map((name) => `scenarios/${name}${SUFFIX}`);

/** "file > test" names of the tests in these scenarios that match a vitest tags filter, without running them. */
export async function listTests(names: readonly string[], tagsFilter: string): Promise<string[]> {
  return withTempDir("list", async (dir) => {
    const out = path.join(dir, "tests.json");
    await execa(
      process.execPath,
      [
        VITEST,
        "list",
        "--config",
        VITEST_CONFIG,
        "--tags-filter",
        tagsFilter,
        `--json=${out}`,
        ...scenarioFiles(names),
      ],
      { cwd: ROOT },
    );
    const tests = JSON.parse(await readFile(out, "utf8")) as { name: string; file: string }[];
    return tests.map((test) => `${path.basename(test.file, SUFFIX)} > ${test.name}`);
  });
}

/** An attribute value of the JUnit report as text (vitest escapes newlines as &#x0A;). */
export function unescapeXml(text: string): string {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replaceAll("&quot;", '"')
    .replaceAll("&apos;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

/** Each failed test of a JUnit report with the first line of its failure: what blocks a release. */
export async function failuresIn(junitReport: string): Promise<string[]> {
  const junit = await readFile(junitReport, "utf8").catch(() => "");
  const failures: string[] = [];
  for (const match of junit.matchAll(
    /<testcase [^>]*name="([^"]*)"[^>]*>\s*<(?:failure|error) message="([^"]*)"/g,
  )) {
    const [, name = "", message = ""] = match;
    failures.push(`${unescapeXml(name)}: ${unescapeXml(message).trim().split("\n").slice(0, 3).join(" / ")}`);
  }
  return failures;
}

/**
 * Runs scenario files with vitest, output streamed as it comes, and returns the documented exit code:
 * 0 all passed, 1 a scenario failed, 2 none failed but one was inconclusive (its baseline did not hold).
 */
export async function runScenarios(
  names: readonly string[],
  grep: string | undefined,
  env: Record<string, string>,
  tagsFilter?: string,
  /** When the run began (ms since the epoch), if before this call: what it wrote since is in its report. */
  startedAt = Date.now(),
): Promise<number> {
  const started = startedAt;
  const reports = env[RunEnv.reportDir] ?? reportDir();
  const vitest = execa(
    process.execPath,
    [
      VITEST,
      "run",
      "--config",
      VITEST_CONFIG,
      // --grep is text, not a pattern: test names have parentheses and dots.
      ...(grep === undefined ? [] : ["-t", RegExp.escape(grep)]),
      ...(tagsFilter === undefined ? [] : ["--tags-filter", tagsFilter]),
      ...scenarioFiles(names),
    ],
    {
      cwd: ROOT,
      env: scenarioProcessEnv({ ...env, [RunEnv.reportDir]: reports }),
      extendEnv: false,
      // Not the terminal's input: out of the foreground process group, reading it would stop vitest.
      stdio: ["ignore", "inherit", "inherit"],
      reject: false,
      // Its own process group: a signal to this process reaches vitest and its scenario processes only
      // through the teardown below, which waits for them to heal and dispose before the run ends.
      detached: true,
    },
  );
  const { pid } = vitest;
  const unregister =
    pid === undefined ? () => undefined : teardownOnSignal((signal) => stopProcessGroup(pid, signal));
  const result = await vitest.finally(unregister);
  const exitCode = await exitCodeOf(result.exitCode ?? 1, reports, started);
  await reportRun({
    reportDir: reports,
    sinceMs: started,
    target: env[RunEnv.target] ?? "container",
    exitCode,
    runId: env[RunEnv.runId] ?? "run",
  });
  return exitCode;
}

/** The documented exit code of a vitest run: inconclusive when every failed test was inconclusive. */
async function exitCodeOf(vitestExitCode: number, reports: string, started: number): Promise<number> {
  if (vitestExitCode === 0) return ExitCode.passed;
  // Inconclusive runs fail their vitest test; if they are all the failures there were, say so.
  const inconclusive = (await readJournals(path.join(reports, "journals"), started)).filter(
    (journal) => journal.verdict.status === "inconclusive",
  ).length;
  const failedTests = await failedTestCount(path.join(reports, "junit.xml"));
  return inconclusive > 0 && inconclusive === failedTests ? ExitCode.inconclusive : ExitCode.failed;
}

/**
 * Writes the run's HTML page, Markdown summary and screenshot, and adds the summary to the CI job's
 * page when there is one ($GITHUB_STEP_SUMMARY). A report that cannot be written is said, and does not
 * change the run's verdict.
 */
async function reportRun(options: RunReportOptions): Promise<void> {
  try {
    const report = await writeRunReport(options);
    process.stderr.write(
      `report: ${report.html} (screenshot: ${report.screenshot ?? report.skipped ?? "none"}), summary ${report.markdown}${report.findingsJunit === undefined ? "" : `, findings as JUnit ${report.findingsJunit}`}\n`,
    );
    await addToJobSummary(report.markdown);
  } catch (error) {
    process.stderr.write(`report: not written: ${(error as Error).message}\n`);
  }
}
