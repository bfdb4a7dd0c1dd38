import { execa } from "execa";
import { CommandError } from "../../host/command.ts";
import type { Host } from "../../host/host.ts";

/**
 * Copies images from this machine's engine into the host's own engine with `docker save | docker load`
 * (no registry needed). Images the host already has (after a reboot, say) are not copied again.
 */
export async function loadImagesIntoHost(host: Host, refs: readonly string[]): Promise<void> {
  for (const ref of refs) {
    const present = await host.run(`docker image inspect --format '{{.Id}}' ${ref}`, { check: false });
    if (present.exitCode === 0) continue;
    const started = performance.now();
    const loaded = await execa("docker", ["save", ref], { reject: false }).pipe(
      "docker",
      ["exec", "-i", host.name, "docker", "load"],
      { reject: false },
    );
    if (loaded.exitCode !== 0) {
      throw new CommandError({
        host: host.name,
        command: `docker save ${ref} | docker exec -i ${host.name} docker load`,
        exitCode: loaded.exitCode ?? -1,
        stdout: loaded.stdout,
        stderr: loaded.stderr,
        durationMs: Math.round(performance.now() - started),
        timedOut: false,
      });
    }
  }
}
