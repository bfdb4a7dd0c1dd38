import { docker } from "../../docker/docker-cli.ts";
import { Label } from "../../docker/labels.ts";
import { HELD_UNITS_FILE, holdAtNextBoot } from "../held-units.ts";
import type { ContainerHost } from "./container-host.ts";
import { FIRST_BOOT_FILE } from "./host-template.ts";

/**
 * Captures a host while nothing of the stack runs: its root filesystem committed as `image`, marked so
 * the next boot from it holds `heldUnits` (and, with `firstBoot`, makes its own identity: a template's
 * copies are other hosts), and its engine copied by `captureEngine` while stopped (a copy of a running
 * engine's databases could be torn). The host goes on as it was, its engine started again.
 */
export async function captureHost(
  host: ContainerHost,
  capture: {
    readonly image: string;
    readonly labels: Record<string, string>;
    readonly heldUnits: readonly string[];
    readonly firstBoot: boolean;
    captureEngine(volume: string): Promise<void>;
  },
): Promise<void> {
  await host.run("systemctl stop docker.socket docker.service containerd.service");
  let failure: unknown;
  try {
    await holdAtNextBoot(host, capture.heldUnits);
    if (capture.firstBoot) await host.run(`touch ${FIRST_BOOT_FILE}`);
    // The image's labels pass to every container made from it: the ones given, not the host's own.
    const labels = [Label.owner, Label.host, Label.keep].map(
      (label) => `LABEL ${label}=${capture.labels[label] ?? ""}`,
    );
    // Both are awaited even when one fails: `docker commit` pauses the host, and nothing can run in
    // it (the restart below) until the commit ends.
    const [committed, engine] = await Promise.allSettled([
      docker(["commit", ...labels.flatMap((change) => ["--change", change]), host.name, capture.image], {
        timeoutMs: 10 * 60_000,
      }),
      capture.captureEngine(`${host.name}-docker`),
    ]);
    for (const settled of [committed, engine]) if (settled.status === "rejected") throw settled.reason;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    const restarted = host.run(
      `rm -f ${FIRST_BOOT_FILE} ${HELD_UNITS_FILE} && systemctl start docker.socket docker.service`,
    );
    // The capture's own error is the one to report; the restart's would only hide it.
    if (failure === undefined) await restarted;
    else await restarted.catch(() => undefined);
  }
}
