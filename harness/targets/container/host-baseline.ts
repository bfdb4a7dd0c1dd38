import { docker } from "../../docker/docker-cli.ts";
import { BASELINE_IMAGE, baselineVolume, labelArgs } from "../../docker/labels.ts";
import { captureHost } from "./capture.ts";
import type { ContainerHost } from "./container-host.ts";
import { copyEngineVolume } from "./host-template.ts";

/**
 * A kept host's own starting state (`up`, `run --keep`): the host as provisioning left it, before the
 * stack started, captured once when it is made. `run --target HOST` runs its first scenario file on
 * the host as it is, and resets the host to this baseline before each later file, as the VM target
 * restores its snapshot: a fault one file left behind, or a change an engineer made by hand, does not
 * leak into the next. Unlike a template's copies, a host reset keeps its identity (machine-id, host
 * keys, engine id, networks). Its image and volume carry the host's name and go with the host.
 */
export class HostBaseline {
  readonly host: string;
  /** The root filesystem, committed. */
  readonly image: string;
  /** The engine directory, copied while stopped. */
  readonly volume: string;

  constructor(host: string) {
    this.host = host;
    this.image = `${BASELINE_IMAGE}:${host}`;
    this.volume = baselineVolume(host);
  }

  /**
   * Captures `host` (provisioned, nothing of the stack started) with the host's `labels`; its next boot
   * from the baseline holds `heldUnits`, as a copy of a template does.
   */
  async capture(
    host: ContainerHost,
    labels: Record<string, string>,
    heldUnits: readonly string[],
    helperImage: string,
  ): Promise<void> {
    await docker(["volume", "create", ...labelArgs(labels), this.volume]);
    await captureHost(host, {
      image: this.image,
      labels,
      heldUnits,
      firstBoot: false,
      captureEngine: async (engine) => {
        const copied = await copyEngineVolume(helperImage, engine, this.volume, labels);
        if (copied.exitCode !== 0)
          throw new Error(`copying ${engine} into ${this.volume} failed: ${copied.stderr.trim()}`);
      },
    });
  }

  /** Whether both halves are there (a host kept by an older sattva-chaos has none). */
  async exists(): Promise<boolean> {
    const [image, volume] = await Promise.all([
      docker(["image", "inspect", this.image], { check: false }),
      docker(["volume", "inspect", this.volume], { check: false }),
    ]);
    return image.exitCode === 0 && volume.exitCode === 0;
  }

  /** Copies the baseline's engine into the host's (new, empty) engine volume. */
  async restoreEngine(volume: string, labels: Record<string, string>): Promise<void> {
    // The baseline image is a host image: it has the tar and cp the copy needs.
    const copied = await copyEngineVolume(this.image, this.volume, volume, labels);
    if (copied.exitCode !== 0)
      throw new Error(`copying ${this.volume} into ${volume} failed: ${copied.stderr.trim()}`);
  }
}
