/**
 * Readiness waits as small composable objects (in the manner of testcontainers' wait strategies):
 * each polls one observable condition and, on timeout, says what it last saw.
 */
export interface Wait {
  readonly description: string;
  waitUntilReady(timeoutMs: number): Promise<void>;
}

/** What one look at a condition saw: ready or not, and a line saying what was seen. */
export interface Observation {
  readonly ready: boolean;
  readonly detail: string;
}

export class WaitTimeoutError extends Error {
  override readonly name = "WaitTimeoutError";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A wait that looks at a condition every `intervalMs` until it is ready or time runs out. */
export function until(description: string, observe: () => Promise<Observation>, intervalMs = 500): Wait {
  return {
    description,
    async waitUntilReady(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      let last = "not observed yet";
      for (;;) {
        try {
          const seen = await observe();
          if (seen.ready) return;
          last = seen.detail;
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
        if (performance.now() + intervalMs > deadline) {
          throw new WaitTimeoutError(
            `timed out after ${(timeoutMs / 1000).toFixed(0)}s waiting for ${description}; last seen: ${last}`,
          );
        }
        await sleep(intervalMs);
      }
    },
  };
}

/** All waits, in order, sharing one deadline. */
export function forAll(...waits: readonly Wait[]): Wait {
  return {
    description: waits.map((w) => w.description).join(" and "),
    async waitUntilReady(timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (const wait of waits) await wait.waitUntilReady(Math.max(0, deadline - performance.now()));
    },
  };
}
