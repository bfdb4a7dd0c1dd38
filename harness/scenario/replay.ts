import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.ts";
import { docker } from "../docker/docker-cli.ts";
import { runLocal } from "../host/local-command.ts";
import type { ResolvedImage } from "../images/image-builder.ts";
import type { Service } from "../images/catalogue.ts";
import { describeIssues } from "../parse/schema-issues.ts";
import { JOURNAL_VERSION, journalSchema, type CurrentJournal, type JournalFault } from "../report/journal.ts";

export type { ReplayRecord } from "../report/journal.ts";

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

/**
 * Reads a journal for `--replay`: one this version writes (JOURNAL_VERSION), whole. Anything else is
 * refused with what it is: not found, not JSON, from another version, or which fields are wrong.
 */
export async function readReplayableJournal(file: string): Promise<CurrentJournal> {
  const expected =
    "expected a journal written by `sattva-chaos run` (reports/journals/<scenario>/<test>.json)";
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new UsageError(`--replay ${file}: ${expected}: ${(error as Error).message}`);
  }
  const version =
    typeof json === "object" && json !== null
      ? (json as Record<string, unknown>)["schemaVersion"]
      : undefined;
  if (version !== JOURNAL_VERSION)
    throw new UsageError(
      `--replay ${file}: ${expected}; this one has ${version === undefined ? "no journal version (an older sattva-chaos, or not a journal)" : `journal version ${JSON.stringify(version)}`}, and this sattva-chaos replays version ${JOURNAL_VERSION}: run the test again to get one`,
    );
  const parsed = journalSchema.safeParse(json);
  if (!parsed.success)
    throw new UsageError(
      `--replay ${file}: not a whole journal of version ${JOURNAL_VERSION}:\n${describeIssues(
        journalSchema,
        parsed.error.issues,
        json,
      )
        .slice(0, 8)
        .map((problem) => `  ${problem}`)
        .join("\n")}`,
    );
  return parsed.data;
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
