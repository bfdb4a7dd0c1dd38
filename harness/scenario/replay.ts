import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.ts";
import { docker } from "../docker/docker-cli.ts";
import { runLocal } from "../host/local-command.ts";
import type { ResolvedImage } from "../images/image-builder.ts";
import type { Service } from "../images/catalogue.ts";
import type { Journal, JournalFault } from "../report/journal.ts";

/**
 * What a journal keeps so `run --replay` can run the same test the same way: where (target, stack
 * checkout and its commit, image mode and the image ids), and which test. The faults' parameters are
 * in the journal beside it and compared after the replay.
 */
export interface ReplayRecord {
  readonly scenario: string;
  /** The test's name as vitest's `-t` matches it (describe and test names joined by a space). */
  readonly test: string;
  readonly target: string;
  readonly stack: string;
  /** `git rev-parse HEAD` of the stack checkout (with "-dirty" for uncommitted changes), if it is a repository. */
  readonly stackCommit?: string | undefined;
  readonly imageMode: string;
  /** Service -> image reference and id, for hosts the harness made. */
  readonly images: Readonly<Record<string, { ref: string; id: string }>>;
}

/** The stack checkout's commit, "-dirty" when it has uncommitted changes, or undefined outside git. */
export async function stackCommit(dir: string): Promise<string | undefined> {
  const head = await runLocal("git", ["-C", dir, "rev-parse", "HEAD"], { check: false });
  if (head.exitCode !== 0) return undefined;
  const status = await runLocal("git", ["-C", dir, "status", "--porcelain", "--", "."], { check: false });
  return `${head.stdout.trim()}${status.stdout.trim() === "" ? "" : "-dirty"}`;
}

/** Each image the hosts were given, with its id in the local engine. */
export async function imageIds(
  images: ReadonlyMap<Service, ResolvedImage>,
): Promise<Record<string, { ref: string; id: string }>> {
  const ids: Record<string, { ref: string; id: string }> = {};
  for (const [service, image] of images) {
    if (image.ref === undefined) continue;
    const id = await docker(["image", "inspect", "--format", "{{.Id}}", image.ref], { check: false });
    ids[service] = { ref: image.ref, id: id.stdout.trim() };
  }
  return ids;
}

/** A journal `--replay` can run again: one with its replay record. */
export type ReplayableJournal = Journal & { readonly replay: ReplayRecord };

/** Reads a journal for `--replay`, naming the file and what is missing when it cannot be replayed. */
export async function readReplayableJournal(file: string): Promise<ReplayableJournal> {
  let journal: Partial<Journal>;
  try {
    journal = JSON.parse(await readFile(file, "utf8")) as Partial<Journal>;
  } catch (error) {
    throw new UsageError(
      `--replay ${file}: expected a journal written by \`sattva-chaos run\` (reports/journals/<scenario>/<test>.json): ${(error as Error).message}`,
    );
  }
  const replay = journal.replay;
  if (replay === undefined || typeof replay.scenario !== "string" || typeof replay.test !== "string")
    throw new UsageError(
      `--replay ${file}: the journal has no "replay" record (scenario, test, target, stack); it was written by an older sattva-chaos or is not a journal`,
    );
  return journal as ReplayableJournal;
}

/** Differences between the faults of the journal and those of its replay: empty when they were the same. */
export function faultDifferences(
  original: readonly JournalFault[],
  replayed: readonly JournalFault[],
): string[] {
  const describe = (f: JournalFault) => `${f.name} ${JSON.stringify(f.params)}`;
  const before = original.map(describe);
  const after = replayed.map(describe);
  return [
    ...before.filter((f) => !after.includes(f)).map((f) => `not injected this time: ${f}`),
    ...after.filter((f) => !before.includes(f)).map((f) => `new this time: ${f}`),
  ];
}
