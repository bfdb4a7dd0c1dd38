import type { Host } from "../host/host.ts";
import { pipe } from "../host/pipe.ts";

/** How long loading the images may take on a host as fast as production (stretched by `slowdown`). */
const LOAD_DEADLINE_MS = 5 * 60_000;

/**
 * Copies images from this machine's engine into the host's own engine with `docker save | docker load`
 * (no registry needed). One archive for all of them, so layers they share (the Debian base) travel
 * once; images the host already has (after a reboot, say) are not copied again. Returns those it loaded.
 */
export async function loadImagesIntoHost(host: Host, refs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const ref of refs) {
    const present = await host.run(`docker image inspect --format '{{.Id}}' ${ref}`, { check: false });
    if (present.exitCode !== 0) missing.push(ref);
  }
  if (missing.length === 0) return missing;
  await pipe(host, ["docker", "save", ...missing], host.commandLine("docker load"), {
    display: `docker save ${missing.join(" ")} | ${host.name}: docker load`,
    // Unpacking layers is CPU work: about 20 s in a container, 6–8 min in a VM under emulation.
    timeoutMs: LOAD_DEADLINE_MS * host.slowdown,
  });
  return missing;
}
