import type { Verdict } from "../chaos/verdict.ts";
import { ExitCode } from "../errors.ts";
import type { FindingsRecord } from "./findings-record.ts";
import type { Journal } from "./journal.ts";
import type { TestResult } from "../results/run-results.ts";

/** One `sattva-chaos run` as the report shows it: where it ran, how it ended, its tests' journals. */
export interface RunSummary {
  readonly runId: string;
  /** ISO time the run started. */
  readonly startedAt: string;
  readonly target: string;
  readonly exitCode: number;
  readonly journals: readonly Journal[];
  /**
   * The tests that wrote no journal (smoke's checks; a chaos test that failed before its ChaosRun
   * began), with vitest's outcome: without them a run whose smoke failed would read "0 failed".
   */
  readonly plainTests?: readonly PlainTest[];
  /** Findings the tests made on their hosts (the topology audit), each record with what found them. */
  readonly findings?: readonly FindingsRecord[];
}

export type VerdictStatus = Verdict["status"];

/** A test known only from vitest's results: its verdict, the first lines of its error as the cause. */
export interface PlainTest {
  readonly scenario: string;
  readonly test: string;
  readonly verdict: Verdict;
  readonly durationMs?: number;
}

/**
 * The run's tests that have no journal among `journals`, as plain tests (skipped ones left out: they
 * have no verdict). A journal matches a test as `testResults` matched it (it carries the journal's verdict).
 */
export function plainTestsOf(tests: readonly TestResult[]): PlainTest[] {
  return tests.flatMap((test): PlainTest[] => {
    if (test.verdict !== undefined || test.status === "skipped") return [];
    const why = test.failure ?? "no error recorded";
    const verdict: Verdict =
      test.status === "passed"
        ? { status: "passed" }
        : test.status === "failed"
          ? { status: "failed", cause: why }
          : { status: "inconclusive", reason: why };
    return [
      {
        scenario: test.scenario,
        test: test.name,
        verdict,
        ...(test.durationMs === null ? {} : { durationMs: test.durationMs }),
      },
    ];
  });
}

export const VERDICT_STATUSES: readonly VerdictStatus[] = ["passed", "failed", "inconclusive"];

/** The results whose trend across runs the reports follow. */
export const TREND_METRICS = ["time to detect (s)", "time to recover (s)"] as const;

/** A test's name across runs and reports: "scenario > test", as the command line lists them. */
export function testName(test: { readonly scenario: string; readonly test: string }): string {
  return `${test.scenario} > ${test.test}`;
}

export function countVerdicts(statuses: readonly VerdictStatus[]): Record<VerdictStatus, number> {
  const counts = { passed: 0, failed: 0, inconclusive: 0 };
  for (const status of statuses) counts[status]++;
  return counts;
}

/** "3 passed, 1 failed, 0 inconclusive". */
export function describeCounts(counts: Record<VerdictStatus, number>): string {
  return VERDICT_STATUSES.map((status) => `${counts[status]} ${status}`).join(", ");
}

/** Why a test did not pass (its cause or reason), or undefined when it passed. */
export function whyNotPassed(verdict: Verdict): string | undefined {
  if (verdict.status === "failed") return verdict.cause;
  return verdict.status === "inconclusive" ? verdict.reason : undefined;
}

/** "14.25s": a duration for people, to two decimals at most. */
export function formatSeconds(seconds: number): string {
  return `${formatResult(seconds)}s`;
}

/** The text, cut to `max` characters with an ellipsis if longer. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * A result value as people read it: seconds to two decimals at most, yes/no, "n/a" when missing or
 * not measured (null in a journal, NaN before it was written).
 */
export function formatResult(value: number | string | boolean | null | undefined): string {
  if (typeof value === "number" && Number.isNaN(value)) return "n/a";
  if (typeof value === "number") return value.toLocaleString("en-US", { maximumFractionDigits: 2 });
  if (typeof value === "boolean") return value ? "yes" : "no";
  return value ?? "n/a";
}

/** "2026-11-26 09:06 UTC" from an ISO time. */
export function formatTime(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

const EXIT_MEANINGS: Readonly<Record<number, string>> = {
  [ExitCode.passed]: "all passed",
  [ExitCode.failed]: "a scenario failed, or a blocker was found",
  [ExitCode.inconclusive]: "inconclusive",
  [ExitCode.usageOrEnvironment]: "usage or environment error",
};

/** "1 (a scenario failed)", as the README's table of exit codes says it. */
export function describeExitCode(code: number): string {
  const meaning = EXIT_MEANINGS[code];
  return meaning === undefined ? String(code) : `${code} (${meaning})`;
}
