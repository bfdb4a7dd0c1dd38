import { runLocal } from "../../host/local-command.ts";
import type { Host } from "../../host/host.ts";

/**
 * Copies images from this machine's engine into the host's own engine with `docker save | docker load`
 * (no registry needed). One archive for all of them, so layers they share (the Debian base) travel
 * once; images the host already has (after a reboot, say) are not copied again.
 */
export async function loadImagesIntoHost(host: Host, refs: readonly string[]): Promise<void> {
  const missing: string[] = [];
  for (const ref of refs) {
    const present = await host.run(`docker image inspect --format '{{.Id}}' ${ref}`, { check: false });
    if (present.exitCode !== 0) missing.push(ref);
  }
  if (missing.length === 0) return;
  await runLocal(
    "bash",
    [
      "-c",
      'set -o pipefail; docker save "${@:2}" | docker exec -i "$1" docker load',
      "load",
      host.name,
      ...missing,
    ],
    {
      host: host.name,
      display: `docker save ${missing.join(" ")} | docker exec -i ${host.name} docker load`,
      timeoutMs: 10 * 60_000,
    },
  );
}
