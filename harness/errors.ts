/**
 * Exit codes the command line promises (documented in the README); CI relies on them.
 * 0 all passed, 1 a scenario failed, 2 inconclusive or baseline not met, 3 usage or environment error.
 */
export const ExitCode = {
  passed: 0,
  failed: 1,
  inconclusive: 2,
  usageOrEnvironment: 3,
} as const;

/** Bad input from the user: the message names the input, the value and what was expected. */
export class UsageError extends Error {
  readonly exitCode = ExitCode.usageOrEnvironment;
  override readonly name = "UsageError";
}

/** The machine cannot run the harness (Docker not running, a tool missing); the message says how to fix it. */
export class EnvironmentError extends Error {
  readonly exitCode = ExitCode.usageOrEnvironment;
  override readonly name = "EnvironmentError";
}

/** Validates one option value against a closed set, with a message naming option, value and the choices. */
export function oneOf<const T extends string>(option: string, value: string, choices: readonly T[]): T {
  if ((choices as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`unknown ${option} "${value}": expected one of ${choices.join(", ")}`);
}
