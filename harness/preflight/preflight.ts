// A preflight: what a target needs on this machine, checked in seconds before a run that would fail
// on it twenty minutes in. `doctor` prints it; `run`, `up` and `gate` stop on anything missing.
import { EnvironmentError } from "../errors.ts";

/**
 * ok: present; missing: the run cannot work without it (exit 3); warning: the run works, with less
 * (no screenshot, an inconclusive exposure audit, a slow VM).
 */
export type PreflightStatus = "ok" | "missing" | "warning";

export interface PreflightResult {
  /** What was checked: "Docker engine", "debootstrap"… */
  readonly check: string;
  readonly status: PreflightStatus;
  /** What was found, or what is wrong. */
  readonly detail: string;
  /** How to fix it, when it is not ok. */
  readonly fix?: string;
}

/** One check; it reports, it does not throw for what it checks (an exception is reported as missing). */
export interface PreflightCheck {
  readonly check: string;
  run(): Promise<PreflightResult | readonly PreflightResult[]>;
}

/** Runs the checks side by side; a check that throws is missing, with its message. */
export async function runPreflight(checks: readonly PreflightCheck[]): Promise<PreflightResult[]> {
  const results = await Promise.all(
    checks.map(async (check): Promise<readonly PreflightResult[]> => {
      try {
        const result = await check.run();
        return Array.isArray(result) ? (result as readonly PreflightResult[]) : [result as PreflightResult];
      } catch (error) {
        return [{ check: check.check, status: "missing", detail: (error as Error).message }];
      }
    }),
  );
  return results.flat();
}

const MARK: Readonly<Record<PreflightStatus, string>> = {
  ok: "ok     ",
  missing: "MISSING",
  warning: "warning",
};

/** One line per check: its status, what it is, what was found, and the fix. */
export function describePreflight(results: readonly PreflightResult[]): string {
  const width = Math.max(0, ...results.map((r) => r.check.length));
  return results
    .map(
      (r) =>
        `${MARK[r.status]}  ${r.check.padEnd(width)}  ${r.detail}${r.fix === undefined ? "" : `; fix: ${r.fix}`}`,
    )
    .join("\n");
}

/** Stops (exit 3) naming every missing thing and its fix, before any work. */
export function assertPreflight(results: readonly PreflightResult[], what: string): void {
  const missing = results.filter((r) => r.status === "missing");
  if (missing.length === 0) return;
  throw new EnvironmentError(
    `${what} cannot start: this machine lacks what it needs (\`sattva-chaos doctor\` checks it all):\n${describePreflight(missing)}`,
  );
}
