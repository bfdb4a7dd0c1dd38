// The package a deployment's repository installs: packed (compiled to JavaScript), installed into a
// project outside this repository, and run from there as its CI would: list, audit and smoke against
// that project's own checkout (a copy of the bundled stack at its root), twice.
import { existsSync } from "node:fs";
import { cp, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { execa } from "execa";
import { expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { pack } from "./pack.ts";

it("installs into another project with npm and runs list, audit and smoke there, from its root", async () => {
  await withTempDir("package", async (dir) => {
    const tarball = await pack(path.join(dir, "out"));
    const project = path.join(dir, "deployment");
    await mkdir(project);
    await writeFile(
      path.join(project, "package.json"),
      `${JSON.stringify({ name: "deployment", version: "1.0.0", private: true }, null, 2)}\n`,
    );
    // The three lines of the README's install section, less `npx` (this test's Node is the one to use).
    await execa(
      "npm",
      ["install", "-D", tarball, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
      {
        cwd: project,
        timeout: 10 * 60_000,
      },
    );
    const installed = path.join(project, "node_modules", "sattva-chaos");
    // Node strips no types under node_modules: what runs there is the JavaScript compiled at pack time.
    expect(existsSync(path.join(installed, "harness", "cli", "main.js"))).toBe(true);
    expect(existsSync(path.join(installed, "harness", "cli", "main.ts"))).toBe(false);
    const bin = path.join(installed, "harness", "cli", "bin.js");
    // The deployment's repository is the checkout: the stack at its root, next to node_modules.
    await cp(path.join(installed, "fixtures", "stacks", "bundled"), project, { recursive: true });
    const cli = (args: string[]) => sattvaChaos(args, {}, { bin, cwd: project });

    const list = await cli(["list"]);
    expect(list.exitCode, list.stderr).toBe(ExitCode.passed);
    expect(list.stdout.split("\n")).toContain("smoke");

    const audit = await cli(["audit", "--stack", "."]);
    expect(audit.exitCode, audit.stdout + audit.stderr).toBe(ExitCode.passed);
    expect(audit.stderr).toMatch(/audit of .*\/deployment .*: 0 blockers/);

    for (const round of ["first", "second"]) {
      const run = await cli(["run", "smoke", "--stack", ".", "--json"]);
      expect(run.exitCode, run.stderr.slice(-4000)).toBe(ExitCode.passed);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: "passed", counts: { passed: 3 } });
      // Its reports are the project's, not inside node_modules.
      expect(existsSync(path.join(project, "reports", "index.html"))).toBe(true);
      // The first run's reports (and node_modules) are inside the checkout, yet not part of the stack:
      // the second run's host is a copy of the same provisioned template.
      if (round === "second")
        expect(run.stderr, "the second run provisions again").toMatch(
          /provisioned: a copy of provisioned-host template/,
        );
    }
  });
});
