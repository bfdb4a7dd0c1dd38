import type { Host } from "../host/host.ts";
import type { ImageMode } from "../images/catalogue.ts";
import type { ResolvedImage } from "../images/image-builder.ts";

export interface HostOptions {
  /** How the host's own image is obtained (default offline). */
  readonly imageMode?: ImageMode;
  /** Service images the host's own engine must have (loaded without a registry where needed). */
  readonly images?: readonly ResolvedImage[];
  /**
   * Start the host's engine as a copy of the template that has `images` loaded (built by the first
   * host that needs it), instead of loading them into every host. Default true; false for figures.
   */
  readonly engineTemplate?: boolean;
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

/** Where hosts come from. Each target hands out hosts that are booted, ready and disposable. */
export interface Target {
  readonly name: string;
  /** "made": hosts are created (and provisioned) by the harness; "existing": they already run the stack. */
  readonly provenance: Host["provenance"];
  start(options?: HostOptions): Promise<Host>;
  /** Removes the hosts a run shared (see HostOptions.run), once the run is over. */
  endRun?(runId: string): Promise<void>;
}
