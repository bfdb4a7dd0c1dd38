/**
 * A scenario's verdict (as Jepsen's checkers give them): passed, failed with its cause, or
 * inconclusive with the reason; never "passed" by default, and an exception is not a pass.
 */
export type Verdict =
  | { readonly status: "passed" }
  | { readonly status: "failed"; readonly cause: string }
  | { readonly status: "inconclusive"; readonly reason: string };

/** Thrown when a scenario cannot say anything: its baseline did not hold, or a fault could not be proven. */
export class InconclusiveError extends Error {
  override readonly name = "InconclusiveError";
}

/** The verdict of a finished test: an InconclusiveError makes it inconclusive, any other error failed. */
export function verdictOf(passed: boolean, errors: readonly { name?: string; message?: string }[]): Verdict {
  const [first] = errors;
  if (passed || first === undefined)
    return passed ? { status: "passed" } : { status: "failed", cause: "no error recorded" };
  const message = first.message ?? "unknown error";
  return first.name === "InconclusiveError"
    ? { status: "inconclusive", reason: message }
    : { status: "failed", cause: message };
}
