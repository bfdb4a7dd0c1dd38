import { describe, expect, it } from "vitest";
import { renderMetrics } from "./metrics.ts";
import type { RunResults } from "./run-results.ts";

const results: RunResults = {
  schemaVersion: 1,
  command: "run",
  status: "failed",
  exitCode: 1,
  blocking: [],
  target: "container",
  startedAt: "2026-12-03T02:17:00.000Z",
  durationMs: 300_500,
  counts: { passed: 1, failed: 1, inconclusive: 0, skipped: 1 },
  tests: [
    {
      file: "scenarios/nginx-502.test.ts",
      scenario: "nginx-502",
      name: 'nginx 502 backend "stopped"',
      status: "passed",
      durationMs: 41_000,
      verdict: { status: "passed" },
      results: {
        "time to detect (s)": 4.25,
        "time to alert BackendDown (s)": 31,
        "time to alert StreamerDown (s)": "did not fire",
        "time to recover (s)": 12.5,
        "compose said": "address already in use",
      },
    },
    { file: "scenarios/smoke.test.ts", scenario: "smoke", name: "steady", status: "failed", durationMs: 1 },
    {
      file: "scenarios/smoke.test.ts",
      scenario: "smoke",
      name: "outsiders",
      status: "skipped",
      durationMs: null,
    },
  ],
  findings: [
    {
      source: "static audit",
      findings: [
        {
          id: "runbook.cron",
          severity: "info",
          kind: "runbook",
          subject: "s",
          runbook: { section: "s", quote: "q", line: 1 },
          observed: "o",
          impact: "i",
        },
      ],
    },
  ],
  reports: {},
};

describe("a run's results as metrics", () => {
  const text = renderMetrics(results);
  const run = 'command="run",target="container"';

  it("has the run's exit code, time and tests by status", () => {
    expect(text).toContain(`sattva_chaos_run_exit_code{${run}} 1\n`);
    expect(text).toContain(
      `sattva_chaos_run_timestamp_seconds{${run}} ${Date.parse(results.startedAt) / 1000}\n`,
    );
    expect(text).toContain(`sattva_chaos_tests{${run},status="inconclusive"} 0\n`);
    expect(text).toContain(`sattva_chaos_findings{${run},severity="info"} 1\n`);
  });

  it("has each test's outcome and a chaos test's measured times, label values escaped; no sample for what was not measured", () => {
    expect(text).toContain(
      `sattva_chaos_test_passed{${run},scenario="nginx-502",test="nginx 502 backend \\"stopped\\"",status="passed"} 1\n`,
    );
    expect(text).toContain(
      `sattva_chaos_test_passed{${run},scenario="smoke",test="steady",status="failed"} 0\n`,
    );
    expect(text).not.toContain('test="outsiders"');
    expect(text).toMatch(/^sattva_chaos_time_to_detect_seconds\{.*scenario="nginx-502".*\} 4\.25$/m);
    expect(text).toMatch(/^sattva_chaos_time_to_alert_seconds\{.*alertname="BackendDown"\} 31$/m);
    expect(text).not.toContain("StreamerDown");
    expect(text).toMatch(/^sattva_chaos_time_to_recover_seconds\{.*\} 12\.5$/m);
  });

  it("declares every family once, before its samples, and ends with # EOF", () => {
    const families = [...text.matchAll(/^# TYPE (\S+) gauge$/gm)].map((m) => m[1] ?? "");
    expect(new Set(families).size).toBe(families.length);
    for (const line of text.split("\n").filter((l) => l !== "" && !l.startsWith("#")))
      expect(families).toContain(/^([a-z_]+)\{/.exec(line)?.[1]);
    expect(text.endsWith("# EOF\n")).toBe(true);
  });
});
