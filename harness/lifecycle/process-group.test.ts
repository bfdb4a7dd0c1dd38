import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { stopProcessGroup } from "./process-group.ts";
import { withTempDir } from "./temp-dir.ts";

it("signals every process of the group and returns only once their own teardown has finished", async () => {
  await withTempDir("process-group", async (dir) => {
    const done = path.join(dir, "torn-down");
    // A leader and a child of it, each with a teardown that takes a moment on SIGTERM.
    const member = `trap 'sleep 1; echo "$1" >> ${done}; exit 0' TERM; while :; do sleep 0.1; done`;
    const leader = spawn(
      "sh",
      ["-c", `sh -c '${member.replace(/'/g, "'\\''")}' _ child & ${member.replace('"$1"', "leader")}`],
      { detached: true, stdio: "ignore" },
    );
    if (leader.pid === undefined) throw new Error("sh did not start");
    await new Promise((resolve) => setTimeout(resolve, 500));

    await stopProcessGroup(leader.pid, "SIGTERM", 30_000);

    expect((await readFile(done, "utf8")).split("\n").filter(Boolean).sort()).toEqual(["child", "leader"]);
  });
});

it("is a no-op for a group that is already gone", async () => {
  await expect(stopProcessGroup(2 ** 22 - 1, "SIGTERM")).resolves.toBeUndefined();
});
