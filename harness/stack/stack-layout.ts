import { cp } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Host } from "../host/host.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { SKIPPED_DIRS } from "../audit/checkout.ts";
import { readCheckout, type CheckoutReading, type ReadCheckoutOptions } from "../audit/read-checkout.ts";
import { reportDir } from "../scenario/report-dir.ts";
import { Deployment } from "./deployment.ts";

/** The reference deployment shipped with the harness, laid out like production's /opt/sattva-streamer. */
export const BUNDLED_STACK = fileURLToPath(new URL("../../fixtures/stacks/bundled/", import.meta.url));

/** Where production keeps the stack; the runbook's units and commands name this path. */
export const STACK_ROOT = "/opt/sattva-streamer";

export interface StackDir {
  readonly dir: string;
  /** How the checkout is deployed: its profile's names and paths, its venvs, users and env files. */
  readonly deployment: Deployment;
  /** The checkout as read, with its layout findings (what is elsewhere or missing). */
  readonly reading: CheckoutReading;
}

/**
 * Reads a checkout to deploy: its profile (stated, or read from the checkout where it says nothing) and
 * what the deployment of it needs. A checkout that merely differs from the runbook is not refused: what
 * it lacks is a finding, and the checks that need it are skipped. A path that is no checkout, or a bad
 * profile, is a UsageError.
 */
export async function openStackDir(dir: string, options?: ReadCheckoutOptions): Promise<StackDir> {
  const reading = await readCheckout(dir, options);
  return { dir: reading.checkout.dir, deployment: await Deployment.of(reading), reading };
}

/**
 * What of a checkout a deployment leaves out (a path relative to it): the folders the audit does not
 * read (`.git`, `node_modules`, local venvs, caches), and this run's reports when they are written
 * inside it (`npx sattva-chaos run --stack .` from the deployment's repository). A report written
 * during the run would otherwise change the stack's content, and its template's key, file by file.
 */
export function notDeployed(stackDir: string): (relative: string) => boolean {
  const reports = path.relative(stackDir, reportDir());
  const reportsInside = reports !== "" && !reports.startsWith("..") && !path.isAbsolute(reports);
  return (relative) =>
    relative.split(path.sep).some((part) => SKIPPED_DIRS.has(part)) ||
    (reportsInside && (relative === reports || relative.startsWith(`${reports}${path.sep}`)));
}

/** Copies what a deployment of the checkout holds (see notDeployed) to `hostPath` on the host. */
export async function copyDeployed(host: Host, stackDir: string, hostPath: string): Promise<void> {
  const skip = notDeployed(stackDir);
  await withTempDir("stack", async (staged) => {
    const copy = path.join(staged, "stack");
    await cp(stackDir, copy, {
      recursive: true,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      filter: (source) => {
        const relative = path.relative(stackDir, source);
        return relative === "" || !skip(relative);
      },
    });
    await host.copyIn(copy, hostPath);
  });
}
