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
   * The shell command (one line) that heals the fault on this stack's host without the harness: the
   * dead-man switch runs it when the harness stops beating mid-scenario, so no fault outlives the harness.
   */
  healOnHost(stack: Stack): string;
  /**
   * Why the fault cannot be made on this stack at all (the checkout lacks what it acts on), or
   * undefined: asked before anything is touched, and the test is then inconclusive with that reason.
   */
  cannotApply?(stack: Stack): string | undefined;
  inject(stack: Stack): Promise<void>;
  /** Evidence that the fault is in effect (a probe of its effect); throws when it is not. */
  prove(stack: Stack): Promise<string>;
  heal(stack: Stack): Promise<void>;
  /**
   * What of the fault is still on the host after its heal, each named (empty: undone). Each fault
   * checks its own traces; the residue audit checks what any fault could leave on a host.
   */
  leftovers?(stack: Stack): Promise<string[]>;
}

/** A symptom a probe can see; `observe` says whether it shows, and what it saw either way. */
export interface Symptom {
  readonly name: string;
  observe(stack: Stack): Promise<SymptomReading>;
}

/** What a symptom's probe met: whether the symptom shows, and what was seen either way (a wait's last words). */
export interface SymptomReading {
  readonly shows: boolean;
  readonly seen: string;
}

/**
 * A heal that is one shell command on the host, run by the harness, and by the dead-man switch if the
 * harness dies. A function when the command depends on the stack (the compose services it runs).
 */
export function healedBy(
  command: string | ((stack: Stack) => string),
  options: { timeoutMs?: number } = {},
): Pick<Fault, "heal" | "healOnHost"> {
  const commandFor = typeof command === "string" ? () => command : command;
  return {
    healOnHost: commandFor,
    async heal(stack) {
      await stack.host.run(commandFor(stack), options);
    },
  };
}
