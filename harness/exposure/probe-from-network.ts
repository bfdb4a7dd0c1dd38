import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { docker } from "../docker/docker-cli.ts";
import { currentOwner, Label, labelArgs } from "../docker/labels.ts";
import { runLocal } from "../host/local-command.ts";
import { InconclusiveError } from "../chaos/verdict.ts";
import { teardownOnSignal } from "../lifecycle/teardown-on-signal.ts";
import type { ProbeRequest, ProbeResult } from "./port-probe.ts";

/** Beside this module, whether it runs from the sources (.ts) or the installed package (.js). */
const PROBE_CLI = fileURLToPath(new URL(`./probe-cli${path.extname(import.meta.url)}`, import.meta.url));

/**
 * Probes what `request` names on `address` from another machine on the Docker network `network`: a container there
 * that only sleeps, and this machine's Node entering that container's network namespace alone
 * (nsenter), so the probe is port-probe.ts's and the container needs nothing of it. The container
 * (any image with `sleep`: `image`) carries `host`'s labels, so it goes with the host if this process
 * dies first.
 */
export async function probeFromDockerNetwork(
  network: string,
  address: string,
  request: ProbeRequest,
  host: { readonly name: string; readonly image: string },
): Promise<ProbeResult> {
  const prober = `${host.name}-probe-${randomBytes(3).toString("hex")}`;
  const labels = { [Label.managed]: "true", [Label.owner]: currentOwner(), [Label.host]: host.name };
  const remove = async () => {
    // -v: the image may declare volumes (the host image's /var/lib/docker); they go with the probe.
    await docker(["rm", "-f", "-v", prober], { check: false, timeoutMs: 60_000 });
  };
  const unregister = teardownOnSignal(remove);
  try {
    await docker([
      ...["run", "-d", "--rm", "--name", prober, "--network", network, ...labelArgs(labels)],
      ...["--entrypoint", "sleep", host.image, "600"],
    ]);
    const pid = (await docker(["inspect", "--format", "{{.State.Pid}}", prober])).stdout.trim();
    const probed = await runLocal(
      "nsenter",
      ["--target", pid, "--net", "--", process.execPath, PROBE_CLI, address, JSON.stringify(request)],
      { timeoutMs: 5 * 60_000, check: false },
    );
    if (probed.exitCode !== 0)
      // Entering another network namespace takes CAP_SYS_ADMIN: without it nothing can be said.
      throw new InconclusiveError(
        `cannot probe ${address} from the network ${network}: nsenter into a probe container failed (${probed.stderr.trim() || `exit ${probed.exitCode}`}); the exposure audit of a container host needs root`,
      );
    return JSON.parse(probed.stdout) as ProbeResult;
  } finally {
    unregister();
    await remove();
  }
}
