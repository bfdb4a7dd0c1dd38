import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { TimelineEvent } from "../chaos/timeline.ts";
import type { Verdict } from "../chaos/verdict.ts";
import type { ReplayRecord } from "../scenario/replay.ts";

/** A fault as the journal records it; older journals only have it in their timeline. */
export interface JournalFault {
  readonly name: string;
  readonly params?: Readonly<Record<string, unknown>>;
  /** What the probe saw that proved the fault in effect. */
  readonly evidence?: string;
  readonly injectedAtMs?: number;
  readonly healedAtMs?: number;
}

export interface JournalRunbookStep {
  readonly command: string;
  readonly atMs: number;
  readonly exitCode: number;
  readonly durationMs: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One chaos test's journal as ChaosRun.writeJournal leaves it; fields it may lack are optional. */
export interface Journal {
  readonly scenario: string;
  readonly test: string;
  readonly verdict: Verdict;
  readonly startedAt: string;
  readonly stack: string;
  readonly host: string;
  readonly results: Readonly<Record<string, number | string | boolean | undefined>>;
  readonly timeline: readonly TimelineEvent[];
  readonly runbook: readonly JournalRunbookStep[];
  readonly durationMs?: number;
  readonly faults?: readonly JournalFault[];
  /** What the test left behind on the host after healing. */
  readonly residue?: readonly string[];
  /** What `run --replay` needs to run the same test the same way. */
  readonly replay?: ReplayRecord;
}

/**
 * The journals under `dir` (`<report dir>/journals`), by scenario then start time; with `sinceMs`
 * only those written since then (this run's). A missing directory has none.
 */
export async function readJournals(dir: string, sinceMs = 0): Promise<Journal[]> {
  const files = await readdir(dir, { recursive: true }).catch(() => []);
  const journals: Journal[] = [];
  for (const file of files.filter((f) => f.endsWith(".json")).map((f) => path.join(dir, f))) {
    if ((await stat(file)).mtimeMs < sinceMs) continue;
    try {
      journals.push(JSON.parse(await readFile(file, "utf8")) as Journal);
    } catch (error) {
      throw new Error(`journal ${file} is not valid JSON: ${(error as Error).message}`);
    }
  }
  return journals.sort(
    (a, b) => a.scenario.localeCompare(b.scenario) || a.startedAt.localeCompare(b.startedAt),
  );
}

/** The journal's faults; for journals written before faults were recorded, read from the timeline. */
export function faultsOf(journal: Journal): readonly JournalFault[] {
  if (journal.faults !== undefined) return journal.faults;
  const labelled = (label: string) => journal.timeline.filter((e) => e.label === label);
  // ChaosRun marks "fault proven" right after each "fault injected", so the nth proves the nth.
  const proofs = labelled("fault proven");
  return labelled("fault injected").map((injected, index) => {
    const evidence = proofs[index]?.detail;
    return {
      name: injected.detail ?? "unnamed fault",
      injectedAtMs: injected.atMs,
      ...(evidence === undefined ? {} : { evidence }),
    };
  });
}
