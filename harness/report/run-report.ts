import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { CHROMIUM_MISSING, findChromium, screenshotPage } from "./chromium.ts";
import { appendHistory, readHistory, runRecord } from "./history.ts";
import { renderHtml } from "./html-report.ts";
import { readFindingsRecords, type FindingsRecord } from "./findings-record.ts";
import { writeFindingsAllure } from "../findings/allure.ts";
import { renderFindingRecordsJunit, addFindingsToJunit } from "../findings/junit.ts";
import { readJournals } from "./journal.ts";
import { renderMarkdown } from "./markdown-summary.ts";
import { plainTestsOf } from "./run-summary.ts";
import type { TestResult } from "../results/run-results.ts";

export interface RunReportOptions {
  readonly reportDir: string;
  /** When the run started (ms since the epoch): journals written since then are this run's. */
  readonly sinceMs: number;
  readonly target: string;
  readonly exitCode: number;
  readonly runId: string;
  /** vitest's results of the run's tests: the ones that wrote no journal are reported from them. */
  readonly tests?: readonly TestResult[];
}

/** Paths of what was written; `skipped` says why there is no screenshot. */
export interface RunReport {
  readonly html: string;
  readonly markdown: string;
  /** The findings the tests made, as JUnit test cases (when there are any). */
  readonly findingsJunit?: string;
  readonly screenshot?: string;
  readonly skipped?: string;
}

/**
 * Turns a finished run's journals into its reports in `reportDir`: index.html (the page people read),
 * summary.md (for $GITHUB_STEP_SUMMARY), findings.xml and allure results (the findings as test results),
 * the run added to history/ for the trend, and report.png, the
 * page as headless Chromium shows it. A page that logs errors or throws in Chromium is an error.
 */
export async function writeRunReport(options: RunReportOptions): Promise<RunReport> {
  const { reportDir } = options;
  const run = {
    runId: options.runId,
    startedAt: new Date(options.sinceMs).toISOString(),
    target: options.target,
    exitCode: options.exitCode,
    journals: await readJournals(path.join(reportDir, "journals"), options.sinceMs),
    plainTests: plainTestsOf(options.tests ?? []),
    findings: await readFindingsRecords(path.join(reportDir, "findings"), options.sinceMs),
  };
  const historyDir = path.join(reportDir, "history");
  const history = await readHistory(historyDir);
  await appendHistory(historyDir, runRecord(run));
  const html = path.join(reportDir, "index.html");
  const markdown = path.join(reportDir, "summary.md");
  await writeFile(html, renderHtml(run, history));
  await writeFile(markdown, renderMarkdown(run, history));
  const written = { html, markdown, ...(await writeFindingsResults(reportDir, run.findings)) };
  if ((await findChromium()) === undefined) return { ...written, skipped: CHROMIUM_MISSING };
  const screenshot = path.join(reportDir, "report.png");
  const { consoleErrors } = await screenshotPage(html, screenshot);
  if (consoleErrors.length > 0) {
    throw new Error(`the run report ${html} has errors in Chromium:\n${consoleErrors.join("\n")}`);
  }
  return { ...written, screenshot };
}

/**
 * The run's findings as test results beside the scenarios': in vitest's junit.xml and alone in
 * findings.xml (CI's test view lists each, a blocker as a failure), and allure results beside
 * allure-vitest's.
 */
async function writeFindingsResults(
  reportDir: string,
  records: readonly FindingsRecord[],
): Promise<{ findingsJunit?: string }> {
  if (records.length === 0) return {};
  const findingsJunit = path.join(reportDir, "findings.xml");
  await writeFile(findingsJunit, renderFindingRecordsJunit(records));
  const junit = path.join(reportDir, "junit.xml");
  const scenarios = await readFile(junit, "utf8").catch(() => undefined);
  if (scenarios !== undefined) await writeFile(junit, addFindingsToJunit(scenarios, records));
  writeFindingsAllure(path.join(reportDir, "allure-results"), records);
  return { findingsJunit };
}
