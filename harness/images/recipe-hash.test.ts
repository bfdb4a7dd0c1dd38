import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, expect, it } from "vitest";
import { recipeHash } from "./recipe-hash.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "recipe-"));
  await writeFile(path.join(dir, "Dockerfile"), "FROM base\n");
  await writeFile(path.join(dir, "entrypoint.sh"), "#!/bin/sh\n");
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it("is stable for an unchanged recipe", async () => {
  expect(await recipeHash(dir, { base: "b1" })).toBe(await recipeHash(dir, { base: "b1" }));
  expect(await recipeHash(dir, {})).toMatch(/^[0-9a-f]{12}$/);
});

it("changes with a file's content, its executable bit, a new file, or the inputs beside the recipe", async () => {
  const before = await recipeHash(dir, { base: "b1" });
  expect(await recipeHash(dir, { base: "b2" })).not.toBe(before);

  await chmod(path.join(dir, "entrypoint.sh"), 0o755);
  const executable = await recipeHash(dir, { base: "b1" });
  expect(executable).not.toBe(before);

  await writeFile(path.join(dir, "Dockerfile"), "FROM base\nRUN true\n");
  const edited = await recipeHash(dir, { base: "b1" });
  expect(edited).not.toBe(executable);

  await writeFile(path.join(dir, "extra.conf"), "");
  expect(await recipeHash(dir, { base: "b1" })).not.toBe(edited);
});
