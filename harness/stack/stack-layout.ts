import { fileURLToPath } from "node:url";
import { readCheckout, type CheckoutReading, type ReadCheckoutOptions } from "../audit/read-checkout.ts";
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
