import type { Host } from "../host/host.ts";
import { timeSpanSeconds } from "../parse/unit-file.ts";

/** How many times systemd has restarted a unit on its own (Restart=), since the unit was last started by hand. */
export async function unitRestarts(host: Host, unit: string): Promise<number> {
  return Number((await host.run(`systemctl show -p NRestarts --value ${unit}`)).stdout);
}

/** The unit's main process id (0 when it has none): the same pid before and after means no restart. */
export async function unitMainPid(host: Host, unit: string): Promise<number> {
  return Number((await host.run(`systemctl show -p MainPID --value ${unit}`)).stdout);
}

/** How long systemd waits before it restarts the unit (its RestartSec=, 100 ms unless set), in seconds. */
export async function unitRestartSec(host: Host, unit: string): Promise<number> {
  const shown = (await host.run(`systemctl show -p RestartUSec --value ${unit}`)).stdout.trim();
  return timeSpanSeconds(shown) ?? 0.1;
}
