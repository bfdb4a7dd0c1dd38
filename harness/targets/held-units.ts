import type { Host } from "../host/host.ts";

/**
 * Read at a host's next boot (the host image's container-init, the Vagrant box's generator): the units
 * held back at that boot, one per line, until the harness lets them go. A host started from a
 * provisioned template or reset to its baseline has the backend and the streamer enabled, as
 * provisioning leaves them, but not started, as on a freshly provisioned host: the runbook starts them
 * by hand, after the database.
 */
export const HELD_UNITS_FILE = "/etc/sattva-chaos-held-units";

/** The runtime drop-in that holds a unit (a condition that never holds), written at boot. */
const heldDropIn = (unit: string) => `/run/systemd/system/${unit}.d/sattva-chaos-held.conf`;

/** Writes HELD_UNITS_FILE on a host about to be captured: its copies hold `units` at their next boot. */
export async function holdAtNextBoot(host: Host, units: readonly string[]): Promise<void> {
  await host.run(`cat > ${HELD_UNITS_FILE}`, { input: units.map((unit) => `${unit}\n`).join("") });
}

/**
 * Lets go of the units held at this boot: enabled, as provisioning left them, and not started. A
 * drop-in a generator wrote is gone with the reload, once its HELD_UNITS_FILE was removed at boot.
 */
export async function releaseHeldUnits(host: Host, units: readonly string[]): Promise<void> {
  if (units.length === 0) return;
  const dropIns = units.map(heldDropIn);
  await host.run(
    `rm -f ${HELD_UNITS_FILE}; for file in ${dropIns.join(" ")}; do rm -f "$file"; rmdir "$(dirname "$file")" 2>/dev/null; done; ` +
      "systemctl daemon-reload",
  );
}
