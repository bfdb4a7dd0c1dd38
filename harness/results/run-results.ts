import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ExitCode } from "../errors.ts";
import { FindingSchema } from "../findings/finding.ts";
import type { Journal } from "../report/journal.ts";

/** The file vitest's JSON reporter writes in the report directory (see vitest.config.ts). */
export const VITEST_RESULTS = "vitest.json";

/** The part of vitest's JSON report read here (vitest's own results, not a JUnit parsed back). */
const VitestReportSchema = z.object({
  testResults: z.array(
    z.object({
      name: z.string(),
      message: z.string().optional(),
      status: z.string().optional(),
      assertionResults: z.array(
        z.object({
          fullName: z.string(),
          title: z.string(),
          status: z.string(),
          duration: z.number().nullish(),
          failureMessages: z.array(z.string()).nullish(),
        }),
      ),
    }),
  ),
});
type VitestReport = z.infer<typeof VitestReportSchema>;

export const TEST_STATUSES = ["passed", "failed", "inconclusive", "skipped"] as const;
export type TestStatus = (typeof TEST_STATUSES)[number];

const TestResultSchema = z.strictObject({
  file: z.string().describe("the test file, relative to the harness: scenarios/nginx-502.test.ts"),
  scenario: z.string().describe("the scenario (the file's name without .test.ts)"),
  name: z.string().describe("the test's full name (describe blocks and title), as `run --grep` matches it"),
  status: z
    .enum(TEST_STATUSES)
    .describe(
      "inconclusive: the test could not say (its baseline did not hold, a fault could not be proven)",
    ),
  durationMs: z.number().nullable(),
  failure: z
    .string()
    .optional()
    .describe("the first lines of the failure, for a failed or inconclusive test"),
  verdict: z
    .object({ status: z.string(), cause: z.string().optional(), reason: z.string().optional() })
    .optional()
    .describe("a chaos test's verdict from its journal"),
  results: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]))
    .optional()
    .describe("a chaos test's measured results (time to detect, to recover…)"),
});
export type TestResult = z.infer<typeof TestResultSchema>;

export const RUN_RESULTS_VERSION = 1;

/** What `run --json` and `gate --json` print: a run's verdicts, causes, findings, timings and reports. */
export const RunResultsSchema = z.strictObject({
  schemaVersion: z.literal(RUN_RESULTS_VERSION),
  command: z.enum(["run", "gate"]),
  status: z.enum(["passed", "failed", "inconclusive"]).describe("the run's verdict, as its exit code says"),
  exitCode: z.number().int().describe("0 passed, 1 failed, 2 inconclusive"),
  ready: z.boolean().optional().describe("gate only: whether the host may take the rollout"),
  blocking: z
    .array(z.string())
    .describe("what blocks (gate) or failed (run): failed tests and blocker findings, one line each"),
  target: z.string(),
  startedAt: z.iso.datetime(),
  durationMs: z.number(),
  counts: z.strictObject(
    Object.fromEntries(TEST_STATUSES.map((s) => [s, z.number().int()])) as Record<TestStatus, z.ZodNumber>,
  ),
  tests: z.array(TestResultSchema),
  findings: z
    .array(z.strictObject({ source: z.string(), findings: z.array(FindingSchema) }))
    .describe("the findings the run made (static audit, topology and exposure audits), by source"),
  reports: z
    .record(z.string(), z.string())
    .describe("report files by kind: html, summary, junit, findingsJunit, allure, journals, screenshot"),
});
export type RunResults = z.infer<typeof RunResultsSchema>;

/** vitest's JSON report, or none when vitest wrote none (it crashed before its reporters ran). */
export async function readVitestReport(reportDir: string): Promise<VitestReport | undefined> {
  const text = await readFile(path.join(reportDir, VITEST_RESULTS), "utf8").catch(() => undefined);
  return text === undefined ? undefined : VitestReportSchema.parse(JSON.parse(text));
}

const FAILURE_LINES = 3;

/**
 * Each test of vitest's report with its status, its failure's first lines, and a chaos test's verdict
 * and results from its journal: a failed test whose journal (or error) says inconclusive is inconclusive.
 */
export function testResults(report: VitestReport, root: string, journals: readonly Journal[]): TestResult[] {
  return report.testResults.flatMap((file) => {
    const relative = path.relative(root, file.name);
    const scenario = path.basename(file.name).replace(/(\.integration)?\.test\.[jt]s$/, "");
    return file.assertionResults.map((test): TestResult => {
      // A journal names its test by its title (ChaosRun); older ones by the full name.
      const journal = journals.find(
        (j) => j.scenario === scenario && (j.test === test.title || j.test === test.fullName),
      );
      const error = test.failureMessages?.[0];
      const failed = test.status === "failed";
      const inconclusive =
        failed &&
        (journal?.verdict.status === "inconclusive" || error?.startsWith("InconclusiveError") === true);
      return {
        file: relative,
        scenario,
        name: test.fullName,
        status: inconclusive
          ? "inconclusive"
          : failed
            ? "failed"
            : test.status === "passed"
              ? "passed"
              : "skipped",
        durationMs: test.duration ?? null,
        ...(error === undefined ? {} : { failure: error.split("\n").slice(0, FAILURE_LINES).join("\n") }),
        ...(journal === undefined
          ? {}
          : { verdict: journal.verdict, results: nullForUndefined(journal.results) }),
      };
    });
  });
}

function nullForUndefined(results: Journal["results"]): Record<string, number | string | boolean | null> {
  return Object.fromEntries(Object.entries(results).map(([key, value]) => [key, value ?? null]));
}

/** How many tests ended each way. */
export function countTests(tests: readonly TestResult[]): Record<TestStatus, number> {
  const counts = Object.fromEntries(TEST_STATUSES.map((s) => [s, 0])) as Record<TestStatus, number>;
  for (const test of tests) counts[test.status]++;
  return counts;
}

/**
 * The documented exit code of a run: failed if a test failed (or vitest failed with no test to show
 * for it: a file that did not load), inconclusive if every test that did not pass was inconclusive.
 */
export function runExitCode(vitestExitCode: number, tests: readonly TestResult[]): number {
  if (vitestExitCode === 0) return ExitCode.passed;
  const counts = countTests(tests);
  return counts.failed === 0 && counts.inconclusive > 0 ? ExitCode.inconclusive : ExitCode.failed;
}

/**
 * Each failed or inconclusive test in one line: the scenario, the test, and the first line of its
 * error without the error's class (`AssertionError: `), "inconclusive: " first for an inconclusive one.
 */
export function failingTests(tests: readonly TestResult[]): string[] {
  return tests
    .filter((t) => t.status === "failed" || t.status === "inconclusive")
    .map((t) => {
      const message = ((t.failure ?? "").split("\n")[0] ?? "").replace(/^\w*Error: /, "");
      return `${t.scenario} > ${t.name}: ${t.status === "inconclusive" ? "inconclusive: " : ""}${message}`;
    });
}

export const STATUS_OF_EXIT: Readonly<Record<number, RunResults["status"]>> = {
  [ExitCode.passed]: "passed",
  [ExitCode.failed]: "failed",
  [ExitCode.inconclusive]: "inconclusive",
};

/** `tests: 12 passed, 1 failed, 0 skipped`: the closing line of a CI job, from vitest's own report. */
export function closingLine(tests: readonly TestResult[]): string {
  const counts = countTests(tests);
  const failed = counts.failed + counts.inconclusive;
  const inconclusive = counts.inconclusive > 0 ? ` (${counts.inconclusive} of them inconclusive)` : "";
  return `tests: ${counts.passed} passed, ${failed} failed${inconclusive}, ${counts.skipped} skipped`;
}

// `node harness/results/run-results.ts REPORT_DIR`: the closing line of `.ci/run`.
if (import.meta.main) {
  const dir = process.argv[2] ?? "reports";
  const report = await readVitestReport(dir);
  process.stdout.write(
    report === undefined
      ? `tests: no vitest report in ${dir}\n`
      : `${closingLine(testResults(report, "", []))}\n`,
  );
}
