import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { Moment, type TimelineEvent } from "../chaos/timeline.ts";
import type { Verdict } from "../chaos/verdict.ts";
import { z } from "zod";

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
  readonly followedForMs?: number;
  /** A runbook command this host could not run as written: what ran instead, and why. */
  readonly adapted?: { readonly ran: string; readonly why: string };
}

/**
 * What a journal keeps so `run --replay` can run the same test the same way: where (target, stack
 * checkout and its commit, image mode and the image ids), and which test. The faults' parameters are
 * in the journal beside it and compared after the replay.
 */
export const replaySchema = z.strictObject({
  scenario: z.string(),
  /** The test's name as vitest's `-t` matches it (describe and test names joined by a space). */
  test: z.string(),
  target: z.string(),
  stack: z.string(),
  /** `git rev-parse HEAD` of the stack checkout (with "-dirty" for uncommitted changes), if it is a repository. */
  stackCommit: z.string().optional(),
  imageMode: z.string(),
  /** Service -> image reference and id, for hosts the harness made. */
  images: z.record(z.string(), z.strictObject({ ref: z.string(), id: z.string() })),
});

export type ReplayRecord = z.infer<typeof replaySchema>;

/** The version of the journal's format, written into each journal: `--replay` reads this one. */
export const JOURNAL_VERSION = 1;

/**
 * A journal as `ChaosRun.writeJournal` writes it now, checked when written and when `--replay` reads
 * one: the two share this schema, so a journal that was written can be read back.
 */
export const journalSchema = z.strictObject({
  schemaVersion: z.literal(JOURNAL_VERSION),
  scenario: z.string(),
  test: z.string(),
  verdict: z.discriminatedUnion("status", [
    z.strictObject({ status: z.literal("passed") }),
    z.strictObject({ status: z.literal("failed"), cause: z.string() }),
    z.strictObject({ status: z.literal("inconclusive"), reason: z.string() }),
  ]),
  startedAt: z.iso.datetime(),
  durationMs: z.number(),
  stack: z.string(),
  host: z.string(),
  // A result that could not be measured (NaN) is null in JSON.
  results: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  faults: z.array(
    z.strictObject({
      name: z.string(),
      params: z.record(z.string(), z.unknown()),
      /** A fault that runs a runbook command, typed with the checkout's names: what ran, and why. */
      adapted: z.strictObject({ ran: z.string(), why: z.string() }).optional(),
      evidence: z.string().optional(),
      injectedAtMs: z.number(),
      healedAtMs: z.number().optional(),
    }),
  ),
  residue: z.array(z.string()),
  timeline: z.array(z.strictObject({ atMs: z.number(), label: z.string(), detail: z.string().optional() })),
  runbook: z.array(
    z.strictObject({
      command: z.string(),
      atMs: z.number(),
      exitCode: z.number(),
      durationMs: z.number(),
      stdout: z.string(),
      stderr: z.string(),
      /** A command that follows forever (`-f`): how long it was watched before it was stopped. */
      followedForMs: z.number().optional(),
      /** A command this host could not run as written: what ran instead, and why. */
      adapted: z.strictObject({ ran: z.string(), why: z.string() }).optional(),
    }),
  ),
  replay: replaySchema,
});

/** A journal this version writes (and `--replay` runs again). */
export type CurrentJournal = z.infer<typeof journalSchema>;

/**
 * One chaos test's journal as reports read it: the current shape, or an older one kept in a report's
 * history, which may lack the fields marked optional.
 */
export interface Journal {
  readonly schemaVersion?: number;
  readonly scenario: string;
  readonly test: string;
  readonly verdict: Verdict;
  readonly startedAt: string;
  readonly stack: string;
  readonly host: string;
  readonly results: Readonly<Record<string, number | string | boolean | null | undefined>>;
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
  // ChaosRun marks a fault proven right after each fault injected, so the nth proves the nth.
  const proofs = labelled(Moment.faultProven);
  return labelled(Moment.faultInjected).map((injected, index) => {
    const evidence = proofs[index]?.detail;
    return {
      name: injected.detail ?? "unnamed fault",
      injectedAtMs: injected.atMs,
      ...(evidence === undefined ? {} : { evidence }),
    };
  });
}
