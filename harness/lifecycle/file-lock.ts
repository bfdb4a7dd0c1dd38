import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentOwner, isOwnerAlive } from "../docker/labels.ts";

export interface FileLockOptions {
  /** Said once when another live process holds the lock and this one waits for it. */
  readonly onWait?: (holder: string) => void;
  /** How long to wait for a live holder before giving up. */
  readonly timeoutMs?: number;
  /** How often to look again while waiting. */
  readonly pollMs?: number;
}

/**
 * Runs `work` while holding a lock shared by every harness process on this machine: a directory
 * (mkdir is atomic) with the holder's pid and start time in it. A lock whose holder died (a SIGKILL)
 * is taken over, so a crashed run never blocks the next one.
 */
export async function withFileLock<T>(
  lockDir: string,
  work: () => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const ownerFile = path.join(lockDir, "owner");
  const deadline = performance.now() + (options.timeoutMs ?? 15 * 60_000);
  let told = false;
  await mkdir(path.dirname(lockDir), { recursive: true });
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(ownerFile, currentOwner());
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const holder = await readFile(ownerFile, "utf8").catch(() => undefined);
    // No owner file yet: the holder is between its mkdir and its write; look again.
    if (holder !== undefined && !isOwnerAlive(holder)) {
      await takeOver(lockDir, holder);
      continue;
    }
    if (performance.now() > deadline)
      throw new Error(`timed out waiting for the lock ${lockDir} (held by process ${holder ?? "?"})`);
    if (!told && holder !== undefined) {
      options.onWait?.(holder);
      told = true;
    }
    await sleep(options.pollMs ?? 500);
  }
  try {
    return await work();
  } finally {
    await rm(lockDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * Removes a dead holder's lock so that waiters can race for it with mkdir again. Several waiters see
 * the same dead holder: the lock is first renamed away (atomic: one of them wins, the others find it
 * gone), so none of them deletes a lock another has taken in the meantime.
 */
async function takeOver(lockDir: string, deadHolder: string): Promise<void> {
  const stale = `${lockDir}.stale-${process.pid}-${Date.now()}`;
  // Still the dead holder's (not one taken since), as far as a re-read can tell.
  if ((await readFile(path.join(lockDir, "owner"), "utf8").catch(() => undefined)) !== deadHolder) return;
  try {
    await rename(lockDir, stale);
  } catch {
    return; // another waiter moved it first
  }
  await rm(stale, { recursive: true, force: true }).catch(() => undefined);
}

/** Whether a live process holds the lock now (one between its mkdir and its owner file counts). */
export async function lockHeld(lockDir: string): Promise<boolean> {
  const holder = await readFile(path.join(lockDir, "owner"), "utf8").catch(() => undefined);
  if (holder !== undefined) return isOwnerAlive(holder);
  // No owner file: a lock being taken this instant, or none at all.
  return (await stat(lockDir).catch(() => undefined))?.isDirectory() === true;
}
