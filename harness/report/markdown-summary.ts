import { runRecord, verdictCountsOf, type RunRecord, type TestRecord } from "./history.ts";
import { markdownCell, renderFindingsMarkdown } from "../findings/markdown.ts";
import { describeCoverage, describeRuns, runbookCoverage, type CoverageRow } from "../runbook/coverage.ts";
import { runbook } from "../runbook/runbook.ts";
import type { Journal } from "./journal.ts";
import { findingsOfRecords } from "./findings-record.ts";
import {
  describeCounts,
  describeExitCode,
  formatResult,
  formatTime,
  TREND_METRICS,
  truncate,
  VERDICT_STATUSES,
  whyNotPassed,
  type PlainTest,
  type RunSummary,
} from "./run-summary.ts";

const CAUSE_CHARS = 300;

function cause(text: string | undefined): string {
  return text === undefined ? "" : markdownCell(truncate(text, CAUSE_CHARS));
}

/** One line: verdict counts against the previous run's, and which tests changed between passing and not. */
function trendLine(current: RunRecord, previous: RunRecord | undefined): string {
  if (previous === undefined) return "Trend: no previous run in the history.";
  const [before, now] = [verdictCountsOf(previous), verdictCountsOf(current)];
  const counts = VERDICT_STATUSES.map((s) => `${s} ${before[s]} → ${now[s]}`).join(", ");
  const statusBefore = new Map(previous.tests.map((test) => [test.name, test.status]));
  const names = (tests: readonly TestRecord[]) => tests.map((test) => markdownCell(test.name)).join("; ");
  const broke = current.tests.filter((t) => t.status !== "passed" && statusBefore.get(t.name) === "passed");
  const fixed = current.tests.filter(
    (t) => t.status === "passed" && statusBefore.has(t.name) && statusBefore.get(t.name) !== "passed",
  );
  return [
    `Trend against the previous run (${formatTime(previous.startedAt)}, ${markdownCell(previous.target)}): ${counts}`,
    ...(broke.length === 0 ? [] : [`no longer passing: ${names(broke)}`]),
    ...(fixed.length === 0 ? [] : [`passing again: ${names(fixed)}`]),
  ].join("; ");
}

/** The runbook's commands, in its order, against what this run's scenarios ran verbatim. */
function coverageMarkdown(rows: readonly CoverageRow[]): string {
  return [
    `#### Runbook coverage: ${describeCoverage(rows)}`,
    "",
    "| section | line | command | run by |",
    "| --- | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| ${markdownCell(row.section)} | ${row.line} | ${markdownCell(row.command)} | ${markdownCell(describeRuns(row))} |`,
    ),
    "",
  ].join("\n");
}

/**
 * The run in a few lines of Markdown for a GitHub Actions job summary ($GITHUB_STEP_SUMMARY): verdict
 * counts, a table of the tests with their times and causes, and the trend against the previous run.
 */
export function renderMarkdown(run: RunSummary, history: readonly RunRecord[]): string {
  const current = runRecord(run);
  const row = (test: PlainTest, results: Journal["results"]) =>
    [
      markdownCell(test.scenario),
      markdownCell(test.test),
      test.verdict.status,
      ...TREND_METRICS.map((metric) => formatResult(results[metric])),
      cause(whyNotPassed(test.verdict)),
    ].join(" | ");
  const rows = [
    ...run.journals.map((journal) => row(journal, journal.results)),
    ...(run.plainTests ?? []).map((test) => row(test, {})),
  ];
  return [
    `### sattva-chaos run: ${describeCounts(verdictCountsOf(current))}`,
    "",
    `Target ${markdownCell(run.target)}, started ${formatTime(run.startedAt)}, exit code ${describeExitCode(run.exitCode)}.`,
    "",
    `| scenario | test | status | ${TREND_METRICS.join(" | ")} | cause |`,
    `| --- | --- | --- | ${TREND_METRICS.map(() => "---").join(" | ")} | --- |`,
    ...rows.map((row) => `| ${row} |`),
    "",
    trendLine(current, history.at(-1)),
    "",
    ...((run.findings ?? []).length === 0
      ? []
      : [renderFindingsMarkdown(findingsOfRecords(run.findings ?? []))]),
    ...(run.journals.length === 0 ? [] : [coverageMarkdown(runbookCoverage(runbook(), run.journals))]),
  ].join("\n");
}
