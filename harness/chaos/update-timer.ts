import type { Stack } from "../stack/stack.ts";
import { DeadManSwitch } from "./dead-man-switch.ts";

/** Holds a unit at its next start: a runtime drop-in whose condition never holds (gone at reboot). */
const heldDropIn = (unit: string) => `/run/systemd/system/${unit}.d/sattva-chaos-update-held.conf`;

/**
 * The deployment's daily update (the runbook's yt-dlp-update.timer, 04:00 UTC) restarts the streamer and,
 * online, upgrades yt-dlp: fired in the middle of a test that does not test it, it would decide that
 * test's verdict. On a host the harness made, the test holds the timer's service (the timer stays
 * active and scheduled; if it elapses, its service is skipped), released after the test and by a
 * dead-man switch if the harness dies first. An existing host is not changed: a test during which the
 * timer fired there is inconclusive, naming it.
 */
export class UpdateTimerGuard {
  readonly #stack: Stack;
  readonly #timer: string;
  readonly #service: string | undefined;
  readonly #firedBefore: string;
  readonly #deadMan: DeadManSwitch | undefined;

  private constructor(stack: Stack, timer: string, service: string | undefined, firedBefore: string) {
    this.#stack = stack;
    this.#timer = timer;
    this.#service = service;
    this.#firedBefore = firedBefore;
    this.#deadMan = service === undefined ? undefined : new DeadManSwitch(stack.host);
  }

  /**
   * Starts guarding a test: `hold` the service where the host may be changed (a made host, and a test
   * that does not run the update itself). Undefined for a checkout with no update timer.
   */
  static async start(stack: Stack, hold: boolean): Promise<UpdateTimerGuard | undefined> {
    const deployment = stack.deployment;
    if (!deployment.unitsPresent.has("timer")) return undefined;
    const timer = deployment.unit("timer");
    const shown = await stack.host.run(
      `systemctl show -p Unit --value ${timer}; systemctl show -p LastTriggerUSec --value ${timer}`,
      { check: false },
    );
    const [service = "", firedBefore = ""] = shown.stdout.split("\n");
    const held = hold && stack.host.provenance === "made" && service !== "" ? service : undefined;
    const guard = new UpdateTimerGuard(stack, timer, held, firedBefore);
    if (held !== undefined) {
      await guard.#deadMan?.add(guard.#releaseCommand());
      await stack.host.run(
        `mkdir -p $(dirname ${heldDropIn(held)}) && ` +
          `printf '[Unit]\\nConditionPathExists=/run/sattva-chaos-never\\n' > ${heldDropIn(held)} && systemctl daemon-reload`,
      );
    }
    return guard;
  }

  /**
   * Ends the guard: the service released; what spoils the test, if the timer fired during it while
   * its service was not held.
   */
  async end(): Promise<string | undefined> {
    if (this.#service !== undefined) {
      await this.#stack.host.run(this.#releaseCommand());
      await this.#deadMan?.disarm();
    }
    const fired = (
      await this.#stack.host.run(`systemctl show -p LastTriggerUSec --value ${this.#timer}`, { check: false })
    ).stdout.trim();
    if (fired === this.#firedBefore.trim() || this.#service !== undefined) return undefined;
    return (
      `${this.#timer} fired during the test (${fired}): the deployment's daily update restarts the streamer ` +
      "(and upgrades yt-dlp online), so what the test saw may be the update's doing, not the fault's"
    );
  }

  #releaseCommand(): string {
    const dropIn = heldDropIn(this.#service ?? "");
    return `rm -f ${dropIn}; rmdir $(dirname ${dropIn}) 2>/dev/null; systemctl daemon-reload`;
  }
}
