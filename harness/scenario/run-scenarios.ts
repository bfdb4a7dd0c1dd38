import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import type { Verdict } from "../chaos/verdict.ts";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { reportDir } from "./report-dir.ts";
import { RunEnv } from "./run-env.ts";

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

/** Verdicts of the journals written since `since` (ms since the epoch). */
async function verdictsSince(journals: string, since: number): Promise<string[]> {
  const files = await readdir(journals, { recursive: true }).catch(() => []);
  const verdicts: string[] = [];
  for (const file of files.filter((f) => f.endsWith(".json"))) {
    const full = path.join(journals, file);
    if ((await stat(full)).mtimeMs < since) continue;
    verdicts.push((JSON.parse(await readFile(full, "utf8")) as { verdict: Verdict }).verdict.status);
  }
  return verdicts;
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
): Promise<number> {
  const started = Date.now();
  const reports = env[RunEnv.reportDir] ?? reportDir();
  const junit = path.join(reports, "junit.xml");
  const result = await execa(
    process.execPath,
    [
      VITEST,
      "run",
      "--config",
      VITEST_CONFIG,
      ...(grep === undefined ? [] : ["-t", grep]),
      ...(tagsFilter === undefined ? [] : ["--tags-filter", tagsFilter]),
      ...scenarioFiles(names),
    ],
    {
      cwd: ROOT,
      env: { ...env, [RunEnv.reportDir]: reports },
      stdio: "inherit",
      reject: false,
    },
  );
  if (result.exitCode === 0) return ExitCode.passed;
  // Inconclusive runs fail their vitest test; if they are all the failures there were, say so.
  const inconclusive = (await verdictsSince(path.join(reports, "journals"), started)).filter(
    (status) => status === "inconclusive",
  ).length;
  const failedTests = await failedTestCount(junit);
  return inconclusive > 0 && inconclusive === failedTests ? ExitCode.inconclusive : ExitCode.failed;
}
