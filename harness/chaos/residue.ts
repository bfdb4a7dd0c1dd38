import { STACK_ROOT } from "../stack/stack-layout.ts";
import { SYSTEMD_SERVICES, type Stack } from "../stack/stack.ts";
import type { ChaosRun } from "./chaos-run.ts";
import { pinnedYtDlp, streamerImportsYtDlp } from "./faults/yt-dlp.ts";

/**
 * What a scenario left behind after its faults were healed, by name: units not back to active, compose
 * containers the documented order does not run (the Docker backend), a poisoned package index or pip
 * pointed at it, a yt-dlp other than the pinned one in the streamer's venv, lost markers. Empty: clean.
 */
export async function findResidue(stack: Stack, run: ChaosRun): Promise<string[]> {
  const residue: string[] = [];
  for (const unit of SYSTEMD_SERVICES) {
    const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    if (state !== "active") residue.push(`unit ${unit} is ${state}`);
  }
  const backend = await stack.run("docker compose ps -a -q backend", { check: false });
  if (backend.stdout.trim() !== "") residue.push("the compose backend container exists");
  const index = await stack.host.run(
    `ls /opt/sattva-chaos/pypi/files 2>/dev/null; ls ${STACK_ROOT}/streamer/venv/pip.conf ${STACK_ROOT}/backend/venv/pip.conf 2>/dev/null`,
    { check: false },
  );
  if (index.stdout.trim() !== "")
    residue.push(
      `local package index or pip configuration left: ${index.stdout.trim().replace(/\n/g, ", ")}`,
    );
  // A stack whose requirements pin no yt-dlp has no version to come back to.
  const pinned = await pinnedYtDlp(stack).catch(() => undefined);
  const installed = await streamerImportsYtDlp(stack);
  if (pinned !== undefined && (!installed.ok || installed.said !== pinned)) {
    residue.push(`the streamer's yt-dlp is ${installed.said}, not the pinned ${pinned}`);
  }
  if (run.markers.count > 0) {
    const lost = await run.markers.missing();
    if (lost.length > 0) residue.push(`markers lost: ${lost.join(", ")}`);
  }
  return residue;
}
