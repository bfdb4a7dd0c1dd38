import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { FindingsDocumentSchema } from "./findings/json.ts";
import { ProfileSchema } from "./profile/profile.ts";
import { RunResultsSchema } from "./results/run-results.ts";
import { ScenarioListSchema } from "./results/scenario-list.ts";

/**
 * The documented JSON Schemas, generated from the zod schemas the harness validates with, so the
 * documents and the code cannot drift apart (a unit test compares them). `npm run schemas` rewrites them.
 */
export const SCHEMA_FILES: readonly { readonly file: string; readonly schema: () => unknown }[] = [
  {
    file: fileURLToPath(new URL("./profile/sattva-chaos.schema.json", import.meta.url)),
    schema: () => ({
      title: "sattva-chaos stack profile (sattva-chaos.json)",
      ...z.toJSONSchema(ProfileSchema, { io: "input" }),
    }),
  },
  {
    file: fileURLToPath(new URL("./findings/findings.schema.json", import.meta.url)),
    schema: () => ({
      title: "sattva-chaos findings (audit --json, findings.json)",
      ...z.toJSONSchema(FindingsDocumentSchema),
    }),
  },
  {
    file: fileURLToPath(new URL("./results/run-results.schema.json", import.meta.url)),
    schema: () => ({
      title: "sattva-chaos run results (run --json, gate --json)",
      ...z.toJSONSchema(RunResultsSchema),
    }),
  },
  {
    file: fileURLToPath(new URL("./results/scenario-list.schema.json", import.meta.url)),
    schema: () => ({
      title: "sattva-chaos scenario list (list --json)",
      ...z.toJSONSchema(ScenarioListSchema),
    }),
  },
];

export function schemaText(schema: unknown): string {
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (import.meta.main) {
  for (const { file, schema } of SCHEMA_FILES) {
    await writeFile(file, schemaText(schema()));
    process.stdout.write(`wrote ${file}\n`);
  }
}
