import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { teardownOnSignal } from "./teardown-on-signal.ts";

/** Runs `use` with a fresh temporary directory, removed afterwards, on failure and on Ctrl-C too. */
export async function withTempDir<T>(purpose: string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), `sattva-chaos-${purpose}-`));
  const remove = () => rm(dir, { recursive: true, force: true });
  const unregister = teardownOnSignal(remove);
  try {
    return await use(dir);
  } finally {
    unregister();
    await remove();
  }
}
