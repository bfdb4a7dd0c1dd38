import { expect, it } from "vitest";
import { earlierRun, fixtureRun, passedJournal } from "./fixtures/journals.ts";
import { renderMarkdown } from "./markdown-summary.ts";
import { plainTestsOf } from "./run-summary.ts";

const previous = earlierRun("run-2", "2026-11-25T09:00:00.000Z", 12, "passed");

it("tabulates the tests with their status, times and the cause of what did not pass", () => {
  const lines = renderMarkdown(fixtureRun, [previous]).split("\n");
  expect(lines.slice(0, 8)).toEqual([
    "### sattva-chaos run: 1 passed, 1 failed, 1 inconclusive",
    "",
    "Target container, started 2026-11-26 09:00 UTC, exit code 1 (a scenario failed, or a blocker was found).",
    "",
    "| scenario | test | status | time to detect (s) | time to recover (s) | cause |",
    "| --- | --- | --- | --- | --- | --- |",
    '| db-not-ready | PostgreSQL restarts under the running backend | inconclusive | n/a | n/a | fault "PostgreSQL restart" could not be shown to apply |',
    "| nginx-502 | backend stopped: 502, BackendDown fires, a restart fixes it | passed | 0.42 | 14.25 |  |",
  ]);
  expect(lines[8]).toBe(
    "| port-8000-conflict | \\`docker compose up -d\\` while the systemd backend runs | failed | 1.5 | n/a | the stack did not return to its steady state: / backend unit: failed (expected active) |",
  );
});

const trendLine = (markdown: string) => markdown.split("\n").find((line) => line.startsWith("Trend"));

it("says in one line how the run compares with the previous one", () => {
  expect(trendLine(renderMarkdown(fixtureRun, []))).toBe("Trend: no previous run in the history.");
  const againstPrevious = renderMarkdown(fixtureRun, [
    earlierRun("run-1", "2026-11-24T09:00:00.000Z", 9, "failed"),
    previous,
  ]);
  expect(trendLine(againstPrevious)).toBe(
    "Trend against the previous run (2026-11-25 09:00 UTC, container): passed 3 → 1, failed 0 → 1, inconclusive 0 → 1; no longer passing: db-not-ready \\> PostgreSQL restarts under the running backend; port-8000-conflict \\> \\`docker compose up -d\\` while the systemd backend runs",
  );
  const fixed = renderMarkdown({ ...fixtureRun, journals: [passedJournal] }, [
    earlierRun("run-1", "2026-11-24T09:00:00.000Z", 9, "failed"),
  ]);
  expect(fixed).toContain("failed 3 → 0, inconclusive 0 → 0; passing again: nginx-502 \\> backend stopped");
});

it("keeps pipes, newlines and markup in journal text from breaking the table, as written (no HTML entities)", () => {
  const journal = {
    ...passedJournal,
    test: "a | b <img>",
    verdict: { status: "failed", cause: "one\ntwo" },
  } as const;
  const markdown = renderMarkdown({ ...fixtureRun, journals: [journal] }, []);
  expect(markdown).toContain("| a \\| b \\<img\\> | failed | 0.42 | 14.25 | one / two |");
});

it("lists every runbook command in the runbook's order with the tests that ran it verbatim", () => {
  const lines = renderMarkdown(fixtureRun, []).split("\n");
  const heading = lines.findIndex((line) => line.startsWith("#### Runbook coverage: "));
  expect(lines[heading]).toMatch(
    /^#### Runbook coverage: 2 of \d+ runbook commands run verbatim by a scenario$/,
  );
  const rows = lines.slice(heading + 4).filter((line) => line.startsWith("| "));
  expect(rows[0]).toBe(
    "| Автообновление yt-dlp › Systemd Timer (04:00 UTC) | 85 | systemctl enable --now yt-dlp-update.timer | not run by any scenario of this run |",
  );
  expect(rows.find((row) => row.includes("| curl http://localhost:8000/health |"))).toMatch(
    /\| nginx-502 \\> backend stopped: .* \(exit 7, passed\) \|$/,
  );
});

it("counts and lists the tests that wrote no journal (a smoke check), from vitest's outcome", () => {
  const tests = plainTestsOf([
    {
      file: "scenarios/smoke.test.ts",
      scenario: "smoke",
      name: "the documented deployment reaches its steady state",
      status: "failed",
      durationMs: 2_000,
      failure: "AssertionError: steady state does not hold:\nfailed  unit sattva-backend",
    },
    { file: "scenarios/smoke.test.ts", scenario: "smoke", name: "the SPA", status: "passed", durationMs: 5 },
    {
      file: "scenarios/smoke.test.ts",
      scenario: "smoke",
      name: "skipped one",
      status: "skipped",
      durationMs: null,
    },
    // A chaos test: its journal reports it.
    {
      ...{ file: "f", scenario: "nginx-502", name: "n", status: "passed", durationMs: 1 },
      verdict: { status: "passed" },
    },
  ]);
  const lines = renderMarkdown({ ...fixtureRun, journals: [], plainTests: tests }, []).split("\n");
  expect(lines[0]).toBe("### sattva-chaos run: 1 passed, 1 failed, 0 inconclusive");
  expect(lines.slice(6, 8)).toEqual([
    "| smoke | the documented deployment reaches its steady state | failed | n/a | n/a | AssertionError: steady state does not hold: / failed  unit sattva-backend |",
    "| smoke | the SPA | passed | n/a | n/a |  |",
  ]);
});
