import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, expect, it, vi } from "vitest";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { CHROMIUM_MISSING, findChromium } from "./chromium.ts";
import { earlierRun, failedJournal, passedJournal, writeJournalFile } from "./fixtures/journals.ts";
import { appendHistory } from "./history.ts";
import { runbookContradictions } from "../runbook/contradictions.ts";
import { writeFindingsRecord } from "./findings-record.ts";
import { writeRunReport } from "./run-report.ts";

const chromiumMissing = (await findChromium()) === undefined;

afterEach(() => {
  vi.unstubAllEnvs();
});

/** A report directory holding an earlier run's history and journal, and this run's journal. */
async function withRunReportDir(use: (reportDir: string, sinceMs: number) => Promise<void>): Promise<void> {
  await withTempDir("run-report", async (reportDir) => {
    const sinceMs = Date.now() - 1000;
    await appendHistory(
      path.join(reportDir, "history"),
      earlierRun("run-1", "2026-11-25T09:00:00.000Z", 12, "passed"),
    );
    await writeJournalFile(path.join(reportDir, "journals"), failedJournal, new Date(sinceMs - 3_600_000));
    await writeJournalFile(path.join(reportDir, "journals"), passedJournal);
    const [contradiction] = runbookContradictions();
    if (contradiction === undefined) throw new Error("the runbook has no contradiction to show");
    const drift = {
      ...contradiction,
      id: "topology.public-port",
      severity: "warning",
      kind: "drift",
    } as const;
    await writeFindingsRecord(
      path.join(reportDir, "findings"),
      "smoke-topology",
      "topology audit of host-1",
      [contradiction, drift],
    );
    await use(reportDir, sinceMs);
  });
}

it.skipIf(chromiumMissing)(
  `writes the page, the summary, the history record and the screenshot of this run${chromiumMissing ? ` (skipped: ${CHROMIUM_MISSING})` : ""}`,
  { timeout: 60_000 },
  async () => {
    await withRunReportDir(async (reportDir, sinceMs) => {
      const report = await writeRunReport({
        reportDir,
        sinceMs,
        target: "container",
        exitCode: 0,
        runId: "run-2",
      });
      expect(report).toEqual({
        html: path.join(reportDir, "index.html"),
        markdown: path.join(reportDir, "summary.md"),
        findingsJunit: path.join(reportDir, "findings.xml"),
        screenshot: path.join(reportDir, "report.png"),
      });
      // Each finding is a JUnit test case too: none is a blocker, so none fails.
      const junit = await readFile(path.join(reportDir, "findings.xml"), "utf8");
      expect(junit).toContain('<testsuites name="findings" tests="2" failures="0"');
      const summary = await readFile(report.markdown, "utf8");
      expect(summary).toContain("### sattva-chaos run: 1 passed, 0 failed, 0 inconclusive");
      expect(summary).toContain("Trend against the previous run (2026-11-25 09:00 UTC, container)");
      // The findings the tests recorded on their hosts: a section of the summary and of the page.
      expect(summary).toContain("#### Findings: 0 blockers, 1 warning, 1 info");
      const page = await readFile(report.html, "utf8");
      expect(page).toContain('<span class="status warning">warning</span> <code>topology.public-port</code>');
      expect(page).toContain("from topology audit of host-1");
      // The earlier run's journal is not this run's.
      expect(await readFile(report.html, "utf8")).not.toContain(failedJournal.test);
      expect((await stat(path.join(reportDir, "report.png"))).size).toBeGreaterThan(0);
      expect(await readdir(path.join(reportDir, "history"))).toHaveLength(2);
    });
  },
);

it("writes the page and the summary without a screenshot where Chromium is not installed", async () => {
  await withRunReportDir(async (reportDir, sinceMs) => {
    vi.stubEnv("PATH", reportDir);
    const vitestJunit = '<testsuites name="vitest tests" tests="1" failures="0">\n</testsuites>\n';
    await writeFile(path.join(reportDir, "junit.xml"), vitestJunit);
    const report = await writeRunReport({
      reportDir,
      sinceMs,
      target: "container",
      exitCode: 0,
      runId: "run-2",
    });
    expect(report).toEqual({
      html: path.join(reportDir, "index.html"),
      markdown: path.join(reportDir, "summary.md"),
      findingsJunit: path.join(reportDir, "findings.xml"),
      skipped: CHROMIUM_MISSING,
    });
    expect(await readdir(reportDir)).not.toContain("report.png");
    // The findings join the scenarios' JUnit as well, for CI that reads that one file.
    expect(await readFile(path.join(reportDir, "junit.xml"), "utf8")).toContain(
      '<testsuites name="vitest tests" tests="3" failures="0">\n  <testsuite name="findings: topology audit of host-1"',
    );
  });
});
