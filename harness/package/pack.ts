// `npm run pack` (node harness/package/pack.ts [OUT_DIR]): the installable package. The TypeScript is
// compiled to JavaScript (Node strips no types under node_modules) into a staging directory laid out
// like this repository, with what the harness reads at run time beside it: the bundled stack and its
// runbook, the image recipes, the Vagrantfile and the provisioning. `npm pack` there writes the tarball
// into OUT_DIR (default: build/); its path is printed. A deployment's repository installs it with
// `npm install -D ./sattva-chaos-<version>.tgz`.
import { statSync } from "node:fs";
import { cp, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { runLocal } from "../host/local-command.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What ships besides the compiled code: read at run time through paths relative to the modules. */
const ASSETS = ["fixtures", "vagrant", "README.md", "harness/cli/bin.js"];
/** Files under harness/ that are not TypeScript and are read at run time (schemas, the validators' script). */
const HARNESS_ASSET = /\.(json|py)$/;

/** package.json as installed: what runs needs its dependencies; no scripts, no development tools. */
async function packageJson(): Promise<string> {
  const shipped = JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as Record<
    string,
    unknown
  >;
  for (const key of ["devDependencies", "scripts", "allowScripts"]) Reflect.deleteProperty(shipped, key);
  return `${JSON.stringify({ ...shipped, engines: { node: ">=24" } }, null, 2)}\n`;
}

/** Builds the package into `outDir` and returns the tarball's path. */
export async function pack(outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  return withTempDir("package", async (staging) => {
    await runLocal(process.execPath, [
      path.join(ROOT, "node_modules/typescript/bin/tsc"),
      "-p",
      path.join(ROOT, "tsconfig.build.json"),
      "--outDir",
      staging,
    ]);
    for (const asset of ASSETS)
      await cp(path.join(ROOT, asset), path.join(staging, asset), { recursive: true });
    await cp(path.join(ROOT, "harness"), path.join(staging, "harness"), {
      recursive: true,
      filter: (source) =>
        !source.includes("__pycache__") && (statSync(source).isDirectory() || HARNESS_ASSET.test(source)),
    });
    await writeFile(path.join(staging, "package.json"), await packageJson());
    const packed = await execa(
      "npm",
      ["pack", "--pack-destination", path.resolve(outDir), "--loglevel=error"],
      {
        cwd: staging,
        timeout: 5 * 60_000,
      },
    );
    const name = packed.stdout.trim().split("\n").at(-1) ?? "";
    return path.join(path.resolve(outDir), name);
  });
}

if (import.meta.main) process.stdout.write(`${await pack(process.argv[2] ?? path.join(ROOT, "build"))}\n`);
