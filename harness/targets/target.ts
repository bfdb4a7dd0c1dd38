import type { Host } from "../host/host.ts";
import type { ImageMode } from "../images/catalogue.ts";
import type { ResolvedImage } from "../images/image-builder.ts";

export interface HostOptions {
  /** How the host's own image is obtained (default offline). */
  readonly imageMode?: ImageMode;
  /** Service images the host's own engine must have (loaded without a registry where needed). */
  readonly images?: readonly ResolvedImage[];
  /**
   * Start hosts from templates (see HostTemplate): the engine as a copy of one with `images` loaded,
   * and, with `provisioning`, the whole host as a copy of one with the stack provisioned. Each is built
   * by the first host that needs it. Default true; false for figures.
   */
  readonly templates?: boolean;
  /**
   * The stack to provision on the host before it is handed out. Targets that keep templates start
   * later hosts for the same key already provisioned; the others provision every host.
   */
  readonly provisioning?: HostProvisioning;
  /** Host TCP ports the harness must reach (see `Host.url`). */
  readonly ports?: readonly number[];
  /** Leave the host up after this process ends (`up`, `--keep`); `down` or `clean --all` removes it. */
  readonly keep?: boolean;
  /**
   * The run (`sattva-chaos run`) this host is for, and the process that answers for it. Targets
   * whose hosts are costly (VMs) share one host between the run's scenario files and remove it in
   * `endRun`; the others ignore it.
   */
  readonly run?: { readonly id: string; readonly owner: string };
  /** One line per phase of bringing the host up. */
  readonly progress?: (line: string) => void;
}

/** How a host gets the stack provisioned, and what identifies the result (see `HostOptions.provisioning`). */
export interface HostProvisioning {
  /** The checkout provisioned (absolute path): a kept host records it (Label.stack). */
  readonly checkout: string;
  /** Every byte provisioning reads (checkout, script, inputs), hashed: equal keys give equal hosts. */
  readonly key: string;
  /**
   * Every byte provisioning reads but the checkout's own files. Hosts of one family differ only in
   * what provisioning syncs (rsync --delete) or rebuilds from content (venvs, images), so provisioning
   * a host of the family again for another checkout converges to a freshly provisioned one.
   */
  readonly family: string;
  /**
   * Units provisioning enables that the runbook starts by hand, after the database: a host started
   * from a template holds them back at its first boot, as a freshly provisioned host has not started them.
   */
  readonly heldUnits: readonly string[];
  provision(host: Host): Promise<{
    readonly changes: readonly string[];
    readonly skipped: readonly string[];
    readonly durationMs: number;
  }>;
}

/** Provisions a host the target made, with its progress line. */
export async function provisionHost(
  host: Host,
  provisioning: HostProvisioning,
  progress: (line: string) => void = () => undefined,
): Promise<void> {
  progress(`host ${host.name}: provisioning the stack…`);
  const report = await provisioning.provision(host);
  // Named, not only counted: a change on a host that should need none is what someone must look at.
  const changes =
    report.changes.length === 0
      ? "nothing to change"
      : `${report.changes.length} change(s): ${report.changes.join("; ")}`;
  progress(`host ${host.name}: provisioned in ${(report.durationMs / 1000).toFixed(1)}s (${changes})`);
  for (const skipped of report.skipped) progress(`host ${host.name}: not provisioned here: ${skipped}`);
}

/** Where hosts come from. Each target hands out hosts that are booted, ready and disposable. */
export interface Target {
  readonly name: string;
  /** "made": hosts are created (and provisioned) by the harness; "existing": they already run the stack. */
  readonly provenance: Host["provenance"];
  start(options?: HostOptions): Promise<Host>;
  /** Removes the hosts a run shared (see HostOptions.run), once the run is over. */
  endRun?(runId: string): Promise<void>;
}
