#!/usr/bin/env node
// The `sattva-chaos` command. From a checkout, Node 24 runs the TypeScript sources directly (type
// stripping; npm puts the project's own Node 24, the `node` dev dependency, first on PATH for `npx` and
// npm scripts); installed as a package (under node_modules, where Node strips no types), the
// JavaScript compiled when it was packed.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `sattva-chaos: Node ${process.versions.node} is too old: expected Node 24 LTS. ` +
      "Run `npm ci` (it installs Node 24 into node_modules/.bin) and start the command with `npx sattva-chaos`.\n",
  );
  process.exit(3);
}
// The installed package runs the JavaScript compiled when it was packed; a checkout runs its sources.
const { existsSync } = await import("node:fs");
const { fileURLToPath } = await import("node:url");
const compiled = import.meta.resolve("./main.js");
await import(existsSync(fileURLToPath(compiled)) ? compiled : "./main.ts");
