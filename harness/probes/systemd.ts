import type { Host } from "../host/host.ts";

/** How many times systemd has restarted a unit on its own (Restart=), since the unit was last started by hand. */
export async function unitRestarts(host: Host, unit: string): Promise<number> {
  return Number((await host.run(`systemctl show -p NRestarts --value ${unit}`)).stdout);
}

/** The unit's main process id (0 when it has none): the same pid before and after means no restart. */
export async function unitMainPid(host: Host, unit: string): Promise<number> {
  return Number((await host.run(`systemctl show -p MainPID --value ${unit}`)).stdout);
}
