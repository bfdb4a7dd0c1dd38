import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILES, schemaText } from "./schemas.ts";

describe("the documented JSON Schemas", () => {
  it.each(SCHEMA_FILES.map((s) => [s.file, s]))(
    "%s is the one the code validates with (npm run schemas)",
    async (_file, entry) => {
      expect(await readFile(entry.file, "utf8")).toBe(schemaText(entry.schema()));
    },
  );
});
