/**
 * The moments a chaos run marks itself, by name: the journal keeps their text, and the reports draw
 * each kind its own way (timeline-svg.ts). A scenario's own marks (`chaos.mark`) are free text.
 */
export const Moment = {
  steadyStateHolds: "steady state holds",
  markersWritten: "markers written",
  faultInjected: "fault injected",
  faultProven: "fault proven",
  /** The first symptom seen; later ones are `seen`. */
  detected: "detected",
  seen: "seen",
  alertFired: "alert fired",
  alertDidNotFire: "alert did not fire",
  held: "held",
  steadyStateBack: "steady state back",
  markersIntact: "markers intact",
  healed: "healed",
} as const;
export type Moment = (typeof Moment)[keyof typeof Moment];

/** A runbook command run verbatim is marked `runbook: <command>`. */
export const runbookMoment = (command: string): string => `runbook: ${command}`;

/** The command of a `runbook: …` mark, or undefined for any other. */
export function runbookCommandOf(label: string): string | undefined {
  return label.startsWith("runbook: ") ? label.slice("runbook: ".length) : undefined;
}

/** One moment of a scenario, in milliseconds since the scenario started. */
export interface TimelineEvent {
  readonly atMs: number;
  readonly label: string;
  readonly detail?: string;
}

/** The moments of one scenario (steady state, fault injected, detected, alert, each recovery step). */
export class Timeline {
  readonly startedAt = new Date();
  readonly events: TimelineEvent[] = [];
  readonly #start = performance.now();

  mark(label: string, detail?: string): TimelineEvent {
    const event = {
      atMs: this.elapsedMs(),
      label,
      ...(detail === undefined ? {} : { detail }),
    };
    this.events.push(event);
    return event;
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.#start);
  }

  /** Milliseconds from the first event with label `from` to the first with label `to`, if both happened. */
  between(from: string, to: string): number | undefined {
    const start = this.events.find((e) => e.label === from);
    const end = this.events.find((e) => e.label === to && start !== undefined && e.atMs >= start.atMs);
    return start === undefined || end === undefined ? undefined : end.atMs - start.atMs;
  }
}
