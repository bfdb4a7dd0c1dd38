import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Processes of a process group that have not exited (zombies, exited but not yet reaped, do not count). */
async function liveMembers(groupId: number): Promise<number[]> {
  const members: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    // Fields after the command (which may hold spaces and parentheses): state, ppid, pgrp, ...
    const [state, , group] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(group) === groupId && state !== "Z") members.push(Number(entry));
  }
  return members;
}

/**
 * Sends a signal to a whole process group (a child started with `detached: true` and everything it
 * forked) and waits until each of its processes has exited, so their own teardown is over before the
 * caller's begins. Past the deadline, what is left gets SIGKILL.
 */
export async function stopProcessGroup(
  groupId: number,
  signal: NodeJS.Signals,
  deadlineMs = 3 * 60_000,
): Promise<void> {
  try {
    process.kill(-groupId, signal);
  } catch {
    return; // the group is gone already
  }
  const started = performance.now();
  while ((await liveMembers(groupId)).length > 0) {
    if (performance.now() - started > deadlineMs) {
      try {
        process.kill(-groupId, "SIGKILL");
      } catch {
        // the last of them exited meanwhile
      }
      return;
    }
    await sleep(250);
  }
}
