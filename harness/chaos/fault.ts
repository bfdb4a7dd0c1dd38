import type { Stack } from "../stack/stack.ts";

/**
 * A fault (Jepsen's nemesis): how to break the stack, how to see that it is broken, and how to undo
 * it. `heal` is idempotent and always runs after the scenario, whatever happened in between.
 */
export interface Fault {
  readonly name: string;
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
