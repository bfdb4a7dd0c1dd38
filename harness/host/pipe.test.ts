import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import type { Host } from "./host.ts";
import { runLocal } from "./local-command.ts";
import { tarCopyIn, tarCopyOut } from "./pipe.ts";

/** This machine as a host: the copies' tar streams go through a real shell, only without SSH. */
const thisMachine: Host = {
  name: "this-machine",
  provenance: "made",
  faults: { allowed: true },
  slowdown: 1,
  run: (script, options) => runLocal("bash", ["-c", script], { check: true, ...options }),
  commandLine: (script) => ["bash", "-c", script],
  copyIn: (local, hostPath) => tarCopyIn(thisMachine, local, hostPath),
  copyOut: (hostPath, local) => tarCopyOut(thisMachine, hostPath, local),
  url: () => "",
  loopbackPort: (port) => Promise.resolve(port),
  outside: () => Promise.reject(new Error("not used")),
  reboot: () => Promise.resolve(),
  dispose: () => Promise.resolve(),
  [Symbol.asyncDispose]: () => Promise.resolve(),
};

describe("copies over tar streams, with docker cp's semantics", () => {
  it("a directory to a missing path becomes that path; to an existing directory, goes inside it", async () => {
    await withTempDir("copy", async (dir) => {
      const source = path.join(dir, "stack");
      await mkdir(path.join(source, "systemd"), { recursive: true });
      await writeFile(path.join(source, "systemd", "unit.service"), "[Unit]\n");
      await writeFile(path.join(source, "it's quoted.txt"), "ok\n");

      await thisMachine.copyIn(source, path.join(dir, "copy"));
      expect(await readFile(path.join(dir, "copy", "systemd", "unit.service"), "utf8")).toBe("[Unit]\n");
      expect(await readFile(path.join(dir, "copy", "it's quoted.txt"), "utf8")).toBe("ok\n");

      await mkdir(path.join(dir, "existing"));
      await thisMachine.copyOut(source, path.join(dir, "existing"));
      expect((await stat(path.join(dir, "existing", "stack", "systemd"))).isDirectory()).toBe(true);
    });
  });

  it("a file to a missing path becomes that file, and a failing side fails the copy", async () => {
    await withTempDir("copy", async (dir) => {
      await writeFile(path.join(dir, "provision.sh"), "#!/bin/sh\n");
      await thisMachine.copyIn(path.join(dir, "provision.sh"), path.join(dir, "script.sh"));
      expect(await readFile(path.join(dir, "script.sh"), "utf8")).toBe("#!/bin/sh\n");
      await expect(thisMachine.copyIn(path.join(dir, "missing"), path.join(dir, "x"))).rejects.toThrow(
        /missing: Cannot stat: No such file or directory/,
      );
    });
  });
});
