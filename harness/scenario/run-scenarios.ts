import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { ExitCode } from "../errors.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCENARIOS_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const VITEST_CONFIG = fileURLToPath(new URL("../vitest.config.ts", import.meta.url));
const VITEST = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));
const SUFFIX = ".test.ts";

/** Scenario names: the files of scenarios/, without `.test.ts`. */
export async function listScenarios(): Promise<string[]> {
  return (await readdir(SCENARIOS_DIR))
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .sort();
}

/** Runs scenario files with vitest, output streamed as it comes; returns the run's exit code. */
export async function runScenarios(names: readonly string[], env: Record<string, string>): Promise<number> {
  const files = names.map((name) => `scenarios/${name}${SUFFIX}`);
  const result = await execa(process.execPath, [VITEST, "run", "--config", VITEST_CONFIG, ...files], {
    cwd: ROOT,
    env,
    stdio: "inherit",
    reject: false,
  });
  return result.exitCode === 0 ? ExitCode.passed : ExitCode.failed;
}
