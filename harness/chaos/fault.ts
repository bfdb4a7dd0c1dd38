import type { Stack } from "../stack/stack.ts";

/**
 * A fault (Jepsen's nemesis): how to break the stack, how to see that it is broken, and how to undo
 * it. `heal` is idempotent and always runs after the scenario, whatever happened in between.
 */
export interface Fault {
  readonly name: string;
  /** What the fault was given (durations, sizes, the link), recorded in the journal so a replay can compare. */
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  /**
   * A shell command that heals the fault on the host without the harness: the dead-man switch runs it
   * when the harness stops beating mid-scenario. Absent: only `heal` can undo it.
   */
  readonly healOnHost?: string;
  inject(stack: Stack): Promise<void>;
  /** Evidence that the fault is in effect (a probe of its effect); throws when it is not. */
  prove(stack: Stack): Promise<string>;
  heal(stack: Stack): Promise<void>;
}

/** A symptom a probe can see; `observe` returns what it saw when the symptom is present, else undefined. */
export interface Symptom {
  readonly name: string;
  observe(stack: Stack): Promise<string | undefined>;
}

/** A heal that is one shell command on the host: run by the harness, and by the dead-man switch if the harness dies. */
export function healedBy(command: string): Pick<Fault, "heal" | "healOnHost"> {
  return {
    healOnHost: command,
    async heal(stack) {
      await stack.host.run(command);
    },
  };
}
