import path from "node:path";
import { fileURLToPath } from "node:url";
import { RunEnv } from "./run-env.ts";

/**
 * reports/ of the harness's checkout, or, where the harness is installed in a deployment's repository
 * (under node_modules), reports/ of the directory it is run from.
 */
const DEFAULT_REPORT_DIR = fileURLToPath(import.meta.url).includes(`${path.sep}node_modules${path.sep}`)
  ? path.resolve("reports")
  : fileURLToPath(new URL("../../reports/", import.meta.url));

/** Where this run's journals, logs and JUnit report go: `run --report DIR`, else reports/. */
export function reportDir(...parts: string[]): string {
  return path.join(process.env[RunEnv.reportDir] ?? DEFAULT_REPORT_DIR, ...parts);
}

/** A scenario or test name as a file name. */
export function slug(text: string): string {
  return text.replace(/[^\w.-]+/g, "-").slice(0, 80);
}

/** Where the journal of one chaos test goes: <report dir>/journals/<scenario>/<test>.json. */
export function journalFile(scenario: string, test: string, root = reportDir()): string {
  return path.join(root, "journals", slug(scenario), `${slug(test)}.json`);
}
