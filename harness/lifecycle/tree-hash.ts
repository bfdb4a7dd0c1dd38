import { createHash, type Hash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";

/**
 * A sha256 of a file or directory tree as a copy of it would reproduce it: every entry's relative
 * path, kind, executable bit and content (a symlink's target), in name order. Times and owners are
 * left out: a fresh clone of the same checkout hashes the same. What `skip` names (a path relative to
 * the root) is left out with all it holds.
 */
export async function hashTree(
  root: string,
  skip: (relative: string) => boolean = () => false,
): Promise<string> {
  const hash = createHash("sha256");
  await addEntry(hash, root, ".", skip);
  return hash.digest("hex");
}

async function addEntry(
  hash: Hash,
  root: string,
  relative: string,
  skip: (relative: string) => boolean,
): Promise<void> {
  if (relative !== "." && skip(relative)) return;
  const full = path.join(root, relative);
  const stat = await lstat(full);
  if (stat.isSymbolicLink()) {
    hash.update(`link ${relative}\0${await readlink(full)}\0`);
  } else if (stat.isDirectory()) {
    hash.update(`dir ${relative}\0`);
    const names = (await readdir(full)).sort();
    for (const name of names) await addEntry(hash, root, path.join(relative, name), skip);
  } else if (stat.isFile()) {
    const executable = (stat.mode & 0o111) !== 0 ? "x" : "-";
    const content = await readFile(full);
    hash.update(`file ${relative} ${executable} ${content.length}\0`).update(content).update("\0");
  } else {
    hash.update(`other ${relative}\0`);
  }
}
