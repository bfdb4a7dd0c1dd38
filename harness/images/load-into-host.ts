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
  // One command for all of them: each `docker exec` into a host costs a tenth of a second or more.
  const absent = await host.run(
    `for ref in ${refs.join(" ")}; do docker image inspect "$ref" >/dev/null 2>&1 || echo "$ref"; done`,
  );
  const missing = absent.stdout.split("\n").filter((ref) => ref !== "");
  if (missing.length === 0) return missing;
  await pipe(host, ["docker", "save", ...missing], host.commandLine("docker load"), {
    display: `docker save ${missing.join(" ")} | ${host.name}: docker load`,
    // Unpacking layers is CPU work: about 20 s in a container, 6–8 min in a VM under emulation.
    timeoutMs: LOAD_DEADLINE_MS * host.slowdown,
  });
  return missing;
}
