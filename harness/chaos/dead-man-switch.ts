import { randomBytes } from "node:crypto";
import type { Host } from "../host/host.ts";

/** How often the harness beats, how long the host waits without a beat, and how often it looks. */
export const DEAD_MAN_TIMING = { beatMs: 3_000, graceSeconds: 15, checkSeconds: 5 } as const;

const DIR = "/run/sattva-chaos";
const PREFIX = "sattva-chaos-dead-man-";

/** Prints every unit and file of a dead-man switch on the host: empty when none is left. */
export const LIST_DEAD_MAN_SWITCHES = [
  `systemctl list-units --all --plain --no-legend '${PREFIX}*' | awk '{print $1}'`,
  `ls -d ${DIR}/${PREFIX}* 2>/dev/null`,
  "true",
].join("; ");

/**
 * A dead-man switch on the host: a transient systemd timer that runs the heal commands of the faults
 * in effect when the harness stops beating (killed, crashed, its connection gone), then removes itself.
 * The harness beats by touching a file; `disarm` stops the timer once the faults are healed normally.
 * Every unit and file it makes is named `sattva-chaos-dead-man-<id>`; `disarm` is safe twice.
 */
export class DeadManSwitch {
  readonly unit: string;
  readonly #host: Host;
  readonly #beatFile: string;
  readonly #healFile: string;
  readonly #checkFile: string;
  #beating: NodeJS.Timeout | undefined;
  #armed = false;

  constructor(host: Host) {
    this.#host = host;
    this.unit = `${PREFIX}${randomBytes(4).toString("hex")}`;
    this.#beatFile = `${DIR}/${this.unit}.beat`;
    this.#healFile = `${DIR}/${this.unit}.heal`;
    this.#checkFile = `${DIR}/${this.unit}.check`;
  }

  /**
   * Adds a fault's heal command (one line); the first one arms the timer and starts the beat. A
   * transient timer with its state in /run: a reboot of the host disarms it.
   */
  async add(healCommand: string): Promise<void> {
    if (/[\r\n]/.test(healCommand)) {
      throw new Error(`a dead-man switch heal command must be one line, got: ${JSON.stringify(healCommand)}`);
    }
    await this.#host.run(`mkdir -p ${DIR} && touch ${this.#beatFile} && cat >> ${this.#healFile}`, {
      input: `${healCommand}\n`,
    });
    if (this.#armed) return;
    const { graceSeconds, checkSeconds, beatMs } = DEAD_MAN_TIMING;
    // Healed newest first, as the harness heals; each command on its own, so one failure stops none.
    const check = [
      `age=$(( $(date +%s) - $(stat -c %Y ${this.#beatFile}) ))`,
      `[ "$age" -lt ${graceSeconds * this.#host.slowdown} ] && exit 0`,
      `echo "sattva-chaos dead-man switch: no beat for $age s; healing"`,
      `tac ${this.#healFile} | while read -r heal; do echo "heal: $heal"; sh -c "$heal" || echo "heal failed: $heal"; done`,
      `rm -f ${this.#beatFile} ${this.#healFile} ${this.#checkFile}`,
      `systemctl stop ${this.unit}.timer`,
    ].join("\n");
    // The check is a file the unit runs, not an argument of it: systemd writes a transient unit's
    // command line to /run, and reads `$` back escaped at the next daemon-reload (a fault's or chaos
    // mode's), which would break the script from then on.
    await this.#host.run(`cat > ${this.#checkFile}`, { input: `${check}\n` });
    await this.#host.run(
      `systemd-run --quiet --unit=${this.unit} --description='sattva-chaos dead-man switch' ` +
        `--on-active=${checkSeconds}s --on-unit-inactive=${checkSeconds}s --timer-property=AccuracySec=1s ` +
        `/bin/sh ${this.#checkFile}`,
    );
    this.#armed = true;
    this.#beating = setInterval(() => {
      // -c: a beat still on its way when the switch is disarmed must not make the file again.
      this.#host.run(`touch -c ${this.#beatFile}`, { check: false }).catch(() => undefined);
    }, beatMs);
    this.#beating.unref();
  }

  /** Stops beating, so the switch fires after its grace period: for faults the harness could not heal. */
  stopBeating(): void {
    clearInterval(this.#beating);
  }

  /** Stops the timer and removes its files (the faults were healed by the harness). */
  async disarm(): Promise<void> {
    this.stopBeating();
    if (!this.#armed) return;
    this.#armed = false;
    await this.#host.run(
      `systemctl stop ${this.unit}.timer ${this.unit}.service 2>/dev/null; systemctl reset-failed ${this.unit}.service 2>/dev/null; rm -f ${this.#beatFile} ${this.#healFile} ${this.#checkFile}; true`,
    );
  }
}
