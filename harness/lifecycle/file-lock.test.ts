import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { expect, it } from "vitest";
import { currentOwner } from "../docker/labels.ts";
import { lockHeld, withFileLock } from "./file-lock.ts";
import { withTempDir } from "./temp-dir.ts";

it("lets one holder at a time in, the second waiting until the first is done", async () => {
  await withTempDir("file-lock", async (dir) => {
    const lock = path.join(dir, "a.lock");
    const events: string[] = [];
    const waits: string[] = [];
    const hold = (who: string) =>
      withFileLock(
        lock,
        async () => {
          events.push(`${who} in`);
          await sleep(100);
          events.push(`${who} out`);
        },
        { pollMs: 10, onWait: (holder) => waits.push(holder) },
      );
    await Promise.all([hold("first"), sleep(20).then(() => hold("second"))]);
    expect(events).toEqual(["first in", "first out", "second in", "second out"]);
    expect(waits).toEqual([currentOwner()]);
  });
});

it("takes over a lock whose holder died, and releases it when the work throws", async () => {
  await withTempDir("file-lock", async (dir) => {
    const lock = path.join(dir, "b.lock");
    await mkdir(lock);
    await writeFile(path.join(lock, "owner"), "999999999:1");
    await expect(
      withFileLock(lock, () => Promise.reject(new Error("boom")), { pollMs: 10, timeoutMs: 1000 }),
    ).rejects.toThrow("boom");
    await expect(withFileLock(lock, () => Promise.resolve("again"), { timeoutMs: 1000 })).resolves.toBe(
      "again",
    );
  });
});

it("gives up on a live holder after its timeout, naming the lock", async () => {
  await withTempDir("file-lock", async (dir) => {
    const lock = path.join(dir, "c.lock");
    await mkdir(lock);
    await writeFile(path.join(lock, "owner"), currentOwner());
    await expect(withFileLock(lock, () => Promise.resolve(), { pollMs: 10, timeoutMs: 50 })).rejects.toThrow(
      `timed out waiting for the lock ${lock}`,
    );
  });
});

it("says whether a live process holds a lock: not a dead holder's, not one released", async () => {
  await withTempDir("file-lock", async (dir) => {
    const lock = path.join(dir, "c.lock");
    expect(await lockHeld(lock)).toBe(false);
    await withFileLock(lock, async () => {
      expect(await lockHeld(lock)).toBe(true);
    });
    expect(await lockHeld(lock)).toBe(false);
    await mkdir(lock);
    await writeFile(path.join(lock, "owner"), "999999999:1");
    expect(await lockHeld(lock)).toBe(false);
  });
});
