import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { FindingSchema, type Finding } from "../findings/finding.ts";

/**
 * Findings a test made on a live host (the topology audit), kept beside the journals so the run's
 * report lists them in its Findings section: `<report dir>/findings/<name>.json`.
 */
export const FindingsRecordSchema = z.object({
  /** What found them, e.g. "smoke: topology audit of sattva-chaos-host-1a2b". */
  source: z.string(),
  writtenAt: z.string(),
  findings: z.array(FindingSchema),
});
export type FindingsRecord = z.infer<typeof FindingsRecordSchema>;

export async function writeFindingsRecord(
  dir: string,
  name: string,
  source: string,
  findings: readonly Finding[],
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const record: FindingsRecord = { source, writtenAt: new Date().toISOString(), findings: [...findings] };
  await writeFile(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/** The records written since `sinceMs` (this run's), oldest first; a file that is not one is an error. */
export async function readFindingsRecords(dir: string, sinceMs = 0): Promise<FindingsRecord[]> {
  const files = (await readdir(dir).catch(() => []))
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(dir, f));
  const records: FindingsRecord[] = [];
  for (const file of files) {
    if ((await stat(file)).mtimeMs < sinceMs) continue;
    const parsed = FindingsRecordSchema.safeParse(JSON.parse(await readFile(file, "utf8")));
    if (!parsed.success) throw new Error(`findings record ${file} is not one: ${parsed.error.message}`);
    records.push(parsed.data);
  }
  return records.sort((a, b) => a.writtenAt.localeCompare(b.writtenAt));
}

/**
 * The findings of all `records`, each once: the runbook's own contradictions are found by the static
 * audit and again by smoke's topology audit, and a reader (or the gate) should count them once.
 */
export function findingsOfRecords(records: readonly FindingsRecord[]): Finding[] {
  const seen = new Set<string>();
  return records
    .flatMap((record) => record.findings)
    .filter((finding) => {
      const key = JSON.stringify([finding.id, finding.subject, finding.observed]);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
