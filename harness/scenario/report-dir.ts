import path from "node:path";
import { fileURLToPath } from "node:url";
import { RunEnv } from "./run-env.ts";

const DEFAULT_REPORT_DIR = fileURLToPath(new URL("../../reports/", import.meta.url));

/** Where this run's journals, logs and JUnit report go: `run --report DIR`, else reports/. */
export function reportDir(...parts: string[]): string {
  return path.join(process.env[RunEnv.reportDir] ?? DEFAULT_REPORT_DIR, ...parts);
}
