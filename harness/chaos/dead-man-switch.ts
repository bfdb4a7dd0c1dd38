import { randomBytes } from "node:crypto";
import type { Host } from "../host/host.ts";

/** How often the harness beats, how long the host waits without a beat, and how often it looks. */
export const DEAD_MAN_TIMING = { beatMs: 3_000, graceSeconds: 15, checkSeconds: 5 } as const;

const PREFIX = "sattva-chaos-dead-man-";
/** Unit files and state survive a reboot (a scenario may reboot the host mid-fault); /run does not. */
const UNIT_DIR = "/etc/systemd/system";
const STATE_DIR = "/var/lib/sattva-chaos/dead-man";
const BOOT_DIR = "/run/sattva-chaos";

/** Prints every unit, unit file and state file of a dead-man switch on the host: empty when none is left. */
export const LIST_DEAD_MAN_SWITCHES = [
  `systemctl list-units --all --plain --no-legend '${PREFIX}*' | awk '{print $1}'`,
  `ls -d ${UNIT_DIR}/${PREFIX}* ${STATE_DIR}/${PREFIX}* 2>/dev/null`,
  "true",
].join("; ");

/**
 * A dead-man switch on the host: a systemd timer that runs the heal commands of the faults in effect
 * when the harness stops beating (killed, crashed, its connection gone), then removes itself. It is
 * installed as unit files, not a transient unit, so it still guards a fault across a reboot; the first
 * look after a boot restarts the grace period, since the harness could not beat while the host was down.
 * The harness beats by touching a file; `disarm` removes the switch once the faults are healed normally.
 * Every unit and file it makes is named `sattva-chaos-dead-man-<id>`; `disarm` is safe twice.
 */
export class DeadManSwitch {
  readonly unit: string;
  readonly #host: Host;
  readonly #beatFile: string;
  readonly #healFile: string;
  #beating: NodeJS.Timeout | undefined;
  #armed = false;

  constructor(host: Host) {
    this.#host = host;
    this.unit = `${PREFIX}${randomBytes(4).toString("hex")}`;
    this.#beatFile = `${STATE_DIR}/${this.unit}.beat`;
    this.#healFile = `${STATE_DIR}/${this.unit}.heal`;
  }

  /** Adds a fault's heal command (one line); the first one arms the timer and starts the beat. */
  async add(healCommand: string): Promise<void> {
    if (/[\r\n]/.test(healCommand)) {
      throw new Error(`a dead-man switch heal command must be one line, got: ${JSON.stringify(healCommand)}`);
    }
    await this.#host.run(`mkdir -p ${STATE_DIR} && touch ${this.#beatFile} && cat >> ${this.#healFile}`, {
      input: `${healCommand}\n`,
    });
    if (this.#armed) return;
    const { graceSeconds, checkSeconds, beatMs } = DEAD_MAN_TIMING;
    const bootMark = `${BOOT_DIR}/${this.unit}.booted`;
    const script = `${STATE_DIR}/${this.unit}.sh`;
    // Healed newest first, as the harness heals; each command on its own, so one failure stops none.
    const check = [
      `[ -e ${bootMark} ] || { mkdir -p ${BOOT_DIR} && touch ${bootMark} ${this.#beatFile}; }`,
      `age=$(( $(date +%s) - $(stat -c %Y ${this.#beatFile}) ))`,
      `[ "$age" -lt ${graceSeconds * this.#host.slowdown} ] && exit 0`,
      `echo "sattva-chaos dead-man switch: no beat for $age s; healing"`,
      `tac ${this.#healFile} | while read -r heal; do echo "heal: $heal"; sh -c "$heal" || echo "heal failed: $heal"; done`,
      this.#removal(),
    ].join("\n");
    const service = `[Unit]\nDescription=sattva-chaos dead-man switch\n\n[Service]\nType=oneshot\nExecStart=/bin/sh ${script}\n`;
    const timer =
      `[Unit]\nDescription=sattva-chaos dead-man switch\n\n[Timer]\n` +
      `OnActiveSec=${checkSeconds}s\nOnBootSec=${checkSeconds}s\nOnUnitInactiveSec=${checkSeconds}s\nAccuracySec=1s\n\n` +
      `[Install]\nWantedBy=timers.target\n`;
    await this.#host.run(`mkdir -p ${BOOT_DIR} && touch ${bootMark} && cat > ${script}`, {
      input: `${check}\n`,
    });
    await this.#host.run(`cat > ${UNIT_DIR}/${this.unit}.service`, { input: service });
    await this.#host.run(`cat > ${UNIT_DIR}/${this.unit}.timer`, { input: timer });
    await this.#host.run(`systemctl daemon-reload && systemctl enable --quiet --now ${this.unit}.timer`);
    this.#armed = true;
    this.#beating = setInterval(() => {
      this.#host.run(`touch ${this.#beatFile}`, { check: false }).catch(() => undefined);
    }, beatMs);
    this.#beating.unref();
  }

  /** Stops beating, so the switch fires after its grace period: for faults the harness could not heal. */
  stopBeating(): void {
    clearInterval(this.#beating);
  }

  /** Removes the timer, its units and files (the faults were healed by the harness). */
  async disarm(): Promise<void> {
    this.stopBeating();
    if (!this.#armed) return;
    this.#armed = false;
    await this.#host.run(
      `systemctl stop ${this.unit}.service 2>/dev/null; systemctl reset-failed ${this.unit}.service 2>/dev/null; ${this.#removal()}; true`,
    );
  }

  /** The shell that removes the switch, run by `disarm` or by the switch itself once it has healed. */
  #removal(): string {
    return [
      `systemctl disable --quiet --now ${this.unit}.timer`,
      `rm -f ${UNIT_DIR}/${this.unit}.timer ${UNIT_DIR}/${this.unit}.service ${STATE_DIR}/${this.unit}.* ${BOOT_DIR}/${this.unit}.*`,
      "systemctl daemon-reload",
    ].join("; ");
  }
}
