import { runLocal } from "../../host/local-command.ts";
import type { Host } from "../../host/host.ts";

/**
 * Copies images from this machine's engine into the host's own engine with `docker save | docker load`
 * (no registry needed). Images the host already has (after a reboot, say) are not copied again.
 */
export async function loadImagesIntoHost(host: Host, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    const present = await host.run(`docker image inspect --format '{{.Id}}' ${ref}`, { check: false });
    if (present.exitCode === 0) continue;
    await runLocal(
      "bash",
      ["-c", 'set -o pipefail; docker save "$0" | docker exec -i "$1" docker load', ref, host.name],
      {
        host: host.name,
        display: `docker save ${ref} | docker exec -i ${host.name} docker load`,
        timeoutMs: 10 * 60_000,
      },
    );
  }
}
