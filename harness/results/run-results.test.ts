import { describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import type { Journal } from "../report/journal.ts";
import { closingLine, countTests, failingTests, runExitCode, testResults } from "./run-results.ts";
import { scenarioList } from "./scenario-list.ts";

const report = {
  testResults: [
    {
      name: "/repo/scenarios/nginx-502.test.ts",
      assertionResults: [
        {
          fullName: "nginx 502 > backend stopped",
          title: "backend stopped",
          status: "passed",
          duration: 41_000,
          failureMessages: [],
        },
        {
          fullName: "nginx 502 > backend on the wrong port",
          title: "backend on the wrong port",
          status: "failed",
          duration: 12_000,
          failureMessages: [
            "AssertionError: nginx answers 200, expected 502\n    at scenarios/nginx-502.test.ts:40:5",
          ],
        },
        {
          fullName: "nginx 502 > restart frontend",
          title: "restart frontend",
          status: "skipped",
          duration: null,
          failureMessages: [],
        },
      ],
    },
    {
      name: "/repo/scenarios/smoke.test.ts",
      assertionResults: [
        {
          fullName: "the documented deployment reaches its steady state",
          title: "the documented deployment reaches its steady state",
          status: "failed",
          duration: 30_000,
          failureMessages: ["InconclusiveError: the baseline did not hold: redis down\n    at fixture"],
        },
      ],
    },
  ],
};

const journal = (test: string, verdict: Journal["verdict"]): Journal => ({
  scenario: "nginx-502",
  test,
  verdict,
  startedAt: "2026-12-03T10:00:00.000Z",
  stack: "/stack",
  host: "h",
  results: { "time to detect (s)": 4.2, "not measured": undefined },
  timeline: [],
  runbook: [],
});

describe("a run's results, from vitest's own report and the journals", () => {
  const tests = testResults(report, "/repo", [
    journal("backend stopped", { status: "passed" }),
    journal("nginx 502 > backend on the wrong port", { status: "failed", cause: "nginx answers 200" }),
  ]);

  it("gives each test its file, scenario, status, failure and a chaos test's verdict and results", () => {
    expect(tests.map((t) => [t.file, t.scenario, t.status])).toEqual([
      ["scenarios/nginx-502.test.ts", "nginx-502", "passed"],
      ["scenarios/nginx-502.test.ts", "nginx-502", "failed"],
      ["scenarios/nginx-502.test.ts", "nginx-502", "skipped"],
      ["scenarios/smoke.test.ts", "smoke", "inconclusive"],
    ]);
    expect(tests[0]).toMatchObject({
      durationMs: 41_000,
      verdict: { status: "passed" },
      results: { "time to detect (s)": 4.2, "not measured": null },
    });
    expect(tests[1]?.failure).toBe(
      "AssertionError: nginx answers 200, expected 502\n    at scenarios/nginx-502.test.ts:40:5",
    );
    expect(tests[2]).not.toHaveProperty("verdict");
    expect(countTests(tests)).toEqual({ passed: 1, failed: 1, inconclusive: 1, skipped: 1 });
    expect(closingLine(tests)).toBe("tests: 1 passed, 2 failed (1 of them inconclusive), 1 skipped");
  });

  it("names what failed in one line each, without the error's class", () => {
    expect(failingTests(tests)).toEqual([
      "nginx-502 > nginx 502 > backend on the wrong port: nginx answers 200, expected 502",
      "smoke > the documented deployment reaches its steady state: inconclusive: the baseline did not hold: redis down",
    ]);
  });

  it("exits failed when a test failed, inconclusive when every test that did not pass was", () => {
    expect(runExitCode(1, tests)).toBe(ExitCode.failed);
    expect(
      runExitCode(
        1,
        tests.filter((t) => t.status !== "failed"),
      ),
    ).toBe(ExitCode.inconclusive);
    expect(runExitCode(0, tests)).toBe(ExitCode.passed);
    // vitest failed with no test to show for it (a file did not load): failed, never passed.
    expect(runExitCode(1, [])).toBe(ExitCode.failed);
  });
});

describe("the scenario list", () => {
  it("groups the tests by scenario and marks the release gate's", () => {
    expect(
      scenarioList(["nginx-502", "smoke"], ["nginx-502 > a", "smoke > b", "smoke > c"], ["smoke > b"]),
    ).toEqual({
      schemaVersion: 1,
      scenarios: [
        { name: "nginx-502", tests: [{ name: "a", readOnly: false }] },
        {
          name: "smoke",
          tests: [
            { name: "b", readOnly: true },
            { name: "c", readOnly: false },
          ],
        },
      ],
    });
  });
});
