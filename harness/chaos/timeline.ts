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
