import { SYSTEMD_SERVICES, type Stack } from "../stack/stack.ts";
import type { ChaosRun } from "./chaos-run.ts";

/**
 * What a scenario left behind after its faults were healed, by name: units not back to active, compose
 * containers that the documented order does not run (the Docker backend), markers lost. Empty: clean.
 */
export async function findResidue(stack: Stack, run: ChaosRun): Promise<string[]> {
  const residue: string[] = [];
  for (const unit of SYSTEMD_SERVICES) {
    const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    if (state !== "active") residue.push(`unit ${unit} is ${state}`);
  }
  const backend = await stack.run("docker compose ps -q backend", { check: false });
  if (backend.stdout.trim() !== "") residue.push("the compose backend container exists");
  if (run.markers.count > 0) {
    const lost = await run.markers.missing();
    if (lost.length > 0) residue.push(`markers lost: ${lost.join(", ")}`);
  }
  return residue;
}
