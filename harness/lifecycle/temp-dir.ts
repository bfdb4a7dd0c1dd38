import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { teardownOnSignal } from "./teardown-on-signal.ts";

/** A fresh temporary directory, removed by `remove()` (safe twice) or on Ctrl-C. */
export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

export async function makeTempDir(purpose: string): Promise<TempDir> {
  const dir = await mkdtemp(path.join(tmpdir(), `sattva-chaos-${purpose}-`));
  const remove = () => rm(dir, { recursive: true, force: true });
  const unregister = teardownOnSignal(remove);
  return {
    path: dir,
    remove: async () => {
      unregister();
      await remove();
    },
  };
}

/** Runs `use` with a fresh temporary directory, removed afterwards, on failure and on Ctrl-C too. */
export async function withTempDir<T>(purpose: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await makeTempDir(purpose);
  try {
    return await use(dir.path);
  } finally {
    await dir.remove();
  }
}
