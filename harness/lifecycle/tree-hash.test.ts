import { chmod, cp, mkdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { hashTree } from "./tree-hash.ts";
import { withTempDir } from "./temp-dir.ts";

async function makeTree(dir: string): Promise<void> {
  await mkdir(path.join(dir, "units"), { recursive: true });
  await writeFile(path.join(dir, "units", "sattva-backend.service"), "[Service]\nRestartSec=10\n");
  await writeFile(path.join(dir, "start.sh"), "#!/bin/sh\n");
  await symlink("units/sattva-backend.service", path.join(dir, "backend.service"));
}

describe("hashTree", () => {
  it("is the same for a copy with other times, and changes with one byte, a mode bit, a name or a link", async () => {
    await withTempDir("tree-hash", async (dir) => {
      const original = path.join(dir, "a");
      await makeTree(original);
      const copy = path.join(dir, "b");
      await cp(original, copy, { recursive: true, verbatimSymlinks: true });
      await utimes(path.join(copy, "start.sh"), 0, 0);
      const base = await hashTree(original);
      expect(await hashTree(copy)).toBe(base);

      const changes: [string, (tree: string) => Promise<void>][] = [
        [
          "one byte",
          (t) => writeFile(path.join(t, "units", "sattva-backend.service"), "[Service]\nRestartSec=11\n"),
        ],
        ["executable bit", (t) => chmod(path.join(t, "start.sh"), 0o755)],
        ["a new empty file", (t) => writeFile(path.join(t, "units", "empty"), "")],
        [
          "a link's target",
          async (t) => {
            await rm(path.join(t, "backend.service"));
            await symlink("start.sh", path.join(t, "backend.service"));
          },
        ],
      ];
      for (const [what, change] of changes) {
        const changed = path.join(dir, what.replace(/\W+/g, "-"));
        await cp(original, changed, { recursive: true, verbatimSymlinks: true });
        await change(changed);
        expect(await hashTree(changed), what).not.toBe(base);
      }
      // What is skipped does not count: a change under it leaves the hash as it was.
      const skipUnits = (relative: string) => relative.split(path.sep)[0] === "units";
      const withoutUnits = await hashTree(original, skipUnits);
      expect(withoutUnits).not.toBe(base);
      await writeFile(path.join(original, "units", "sattva-backend.service"), "changed");
      expect(await hashTree(original, skipUnits)).toBe(withoutUnits);
    });
  });
});
