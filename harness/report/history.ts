import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { countVerdicts, testName, type RunSummary, type VerdictStatus } from "./run-summary.ts";

/** How many runs the trend looks back on; older records are deleted. */
export const HISTORY_KEPT = 30;

export interface TestRecord {
  readonly name: string;
  readonly status: VerdictStatus;
  /** The numeric results only (times), which is what a trend can compare. */
  readonly results: Readonly<Record<string, number>>;
}

/** What the history keeps of one run: enough for the trend, not the journals themselves. */
export interface RunRecord {
  readonly runId: string;
  readonly startedAt: string;
  readonly target: string;
  readonly exitCode: number;
  readonly tests: readonly TestRecord[];
}

export function runRecord(run: RunSummary): RunRecord {
  return {
    runId: run.runId,
    startedAt: run.startedAt,
    target: run.target,
    exitCode: run.exitCode,
    tests: [
      ...run.journals.map((journal) => ({
        name: testName(journal),
        status: journal.verdict.status,
        results: Object.fromEntries(
          Object.entries(journal.results).filter(
            (entry): entry is [string, number] => typeof entry[1] === "number",
          ),
        ),
      })),
      ...(run.plainTests ?? []).map((test) => ({
        name: testName(test),
        status: test.verdict.status,
        results: {},
      })),
    ],
  };
}

export function verdictCountsOf(run: RunRecord): Record<VerdictStatus, number> {
  return countVerdicts(run.tests.map((test) => test.status));
}

/** History files, oldest first: their names start with the UTC start time, so names sort by time. */
async function historyFiles(dir: string): Promise<string[]> {
  const files = await readdir(dir).catch(() => []);
  return files.filter((file) => file.endsWith(".json")).sort();
}

/** Adds a run to the history in `dir` and deletes all but the newest HISTORY_KEPT. */
export async function appendHistory(dir: string, record: RunRecord): Promise<void> {
  await mkdir(dir, { recursive: true });
  // No colons in file names: GitHub Actions refuses them in uploaded artifacts.
  const stamp = record.startedAt.replace(/[:.]/g, "-");
  const id = record.runId.replace(/[^\w-]+/g, "-");
  await writeFile(path.join(dir, `${stamp}-${id}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const files = await historyFiles(dir);
  for (const old of files.slice(0, -HISTORY_KEPT)) await rm(path.join(dir, old));
}

/** The runs in the history, oldest first. */
export async function readHistory(dir: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const file of await historyFiles(dir)) {
    records.push(JSON.parse(await readFile(path.join(dir, file), "utf8")) as RunRecord);
  }
  return records;
}
