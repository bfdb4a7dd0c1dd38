import path from "node:path";
import { composeServiceFor, type Profile, type RunbookService } from "../profile/profile.ts";
import type { Checkout } from "./checkout.ts";
import type { ComposeModel } from "./compose-model.ts";

/** A checkout file or folder (relative path) seen at a path inside a container. */
export interface CheckoutMount {
  readonly source: string;
  readonly target: string;
}

/**
 * Which checkout files each runbook service's container sees, and where: its compose bind mounts,
 * or, for a service that mounts nothing from the checkout, the file the audit checks in its place.
 * Validators mount exactly these, and map the paths in their messages back to checkout files.
 */
export class ServiceMounts {
  readonly #model: ComposeModel | undefined;
  readonly #profile: Profile;
  readonly #checkout: Checkout;
  readonly #standIns = new Map<RunbookService, CheckoutMount[]>();

  constructor(model: ComposeModel | undefined, profile: Profile, checkout: Checkout) {
    this.#model = model;
    this.#profile = profile;
    this.#checkout = checkout;
  }

  /** The service's bind mounts from the checkout that exist there. */
  fromCompose(role: RunbookService): CheckoutMount[] {
    const service = this.#model?.services.get(composeServiceFor(this.#profile, role) ?? "");
    return (service?.volumes ?? []).flatMap((volume) => {
      if (volume.type !== "bind" || volume.source === undefined) return [];
      const source = this.#checkout.fromHost(volume.source);
      const exists =
        source !== undefined &&
        (this.#checkout.has(source) || this.#checkout.files.some((f) => f.startsWith(`${source}/`)));
      return exists ? [{ source, target: volume.target }] : [];
    });
  }

  /** For a service that mounts nothing from the checkout (its image bakes its config), check `source` at `target`. */
  standIn(role: RunbookService, source: string, target: string): void {
    if (this.fromCompose(role).length === 0)
      this.#standIns.set(role, [...(this.#standIns.get(role) ?? []), { source, target }]);
  }

  /** Whether the service's files are stand-ins: compose mounts nothing of the checkout into it. */
  isStandIn(role: RunbookService): boolean {
    return this.fromCompose(role).length === 0;
  }

  all(role: RunbookService): CheckoutMount[] {
    const mounts = this.fromCompose(role);
    return mounts.length > 0 ? mounts : (this.#standIns.get(role) ?? []);
  }

  /** The checkout path a container path of the service comes from, if it comes from the checkout. */
  from(role: RunbookService, containerPath: string, mounts = this.all(role)): string | undefined {
    for (const mount of [...mounts].sort((a, b) => b.target.length - a.target.length)) {
      if (containerPath === mount.target) return mount.source;
      if (containerPath.startsWith(`${mount.target}/`))
        return path.join(mount.source, containerPath.slice(mount.target.length + 1));
    }
    return undefined;
  }

  /**
   * The checkout file compose mounts somewhere under `prefix` (nginx: /etc/nginx/), or the first
   * `suffix` file of a folder mounted there; for a service whose config path is not fixed.
   */
  composeFileUnder(role: RunbookService, prefix: string, suffix: string): string | undefined {
    for (const mount of this.fromCompose(role)) {
      if (!mount.target.startsWith(prefix)) continue;
      if (this.#checkout.has(mount.source) && mount.source.endsWith(suffix)) return mount.source;
      const inFolder = this.#checkout.files.find(
        (f) => f.startsWith(`${mount.source}/`) && f.endsWith(suffix),
      );
      if (inFolder !== undefined) return inFolder;
    }
    return undefined;
  }
}
