import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";

/** Length of the hash used as an image tag; 12 hex digits, as Docker shows image ids. */
const TAG_LENGTH = 12;

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/**
 * A short hash of everything an image is made from: every file of its recipe directory (content and
 * executable bit) and the inputs given beside it (base image, build arguments, Go modules). Images are
 * tagged with it, so a changed recipe makes a new tag and an unchanged one is found and not rebuilt.
 */
export async function recipeHash(recipeDir: string | undefined, inputs: unknown): Promise<string> {
  const hash = createHash("sha256").update(JSON.stringify(inputs));
  if (recipeDir !== undefined) {
    for (const file of await listFiles(recipeDir)) {
      const full = path.join(recipeDir, file);
      const executable = ((await stat(full)).mode & 0o111) !== 0;
      hash.update(`\0${file}\0${executable ? "x" : "-"}\0`).update(await readFile(full));
    }
  }
  return hash.digest("hex").slice(0, TAG_LENGTH);
}
