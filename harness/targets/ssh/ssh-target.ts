import type { FaultPermission, Host } from "../../host/host.ts";
import { secondsSince } from "../../format.ts";
import type { HostOptions, Target } from "../target.ts";
import { formatSshAddress, type SshAddress } from "./ssh-address.ts";
import { SshConnection } from "./ssh-connection.ts";
import { SshHost } from "./ssh-host.ts";

/** The file an existing host's owner creates to declare the host disposable: faults may be injected there. */
export const DISPOSABLE_MARKER = "/etc/sattva-chaos/disposable";

export interface SshTargetOptions {
  readonly key?: string;
  readonly knownHosts?: string;
  /** `--ssh-accept-new`: trust the host key if this is the first connection to the host. */
  readonly acceptNewHostKey?: boolean;
  /** `--allow-destructive`: the user asks for faults on this host (the marker must agree). */
  readonly allowDestructive?: boolean;
}

/**
 * Both keys must turn: the person running the harness asks for faults (`--allow-destructive`) and
 * the host's owner declared it disposable (the marker file). Either alone is refused, with the reason.
 */
export function faultPermission(
  url: string,
  allowDestructive: boolean,
  markerPresent: boolean,
): FaultPermission {
  if (allowDestructive && markerPresent) return { allowed: true };
  const missing = [
    ...(allowDestructive ? [] : ["--allow-destructive was not given"]),
    ...(markerPresent ? [] : [`${DISPOSABLE_MARKER} does not exist on the host`]),
  ];
  return {
    allowed: false,
    reason:
      `refusing to inject faults on the existing host ${url}: ${missing.join(" and ")}. ` +
      `Read-only checks run there by default; a destructive scenario needs --allow-destructive ` +
      `and the host's owner to declare it disposable with \`touch ${DISPOSABLE_MARKER}\``,
  };
}

/**
 * An existing host (staging) that already runs the stack, reached over SSH. The harness provisions
 * nothing there and, unless both keys turn (see faultPermission), only reads.
 */
export class SshTarget implements Target {
  readonly name: string;
  readonly provenance = "existing";
  readonly #address: SshAddress;
  readonly #options: SshTargetOptions;

  constructor(address: SshAddress, options: SshTargetOptions = {}) {
    this.#address = address;
    this.#options = options;
    this.name = formatSshAddress(address);
  }

  async start(options: HostOptions = {}): Promise<Host> {
    const progress = options.progress ?? (() => undefined);
    const started = performance.now();
    const connection = await SshConnection.open(this.#address, {
      ...this.#options,
      forwardPorts: options.ports ?? [],
    });
    const marker = await connection.run(`test -e ${DISPOSABLE_MARKER}`, { check: false });
    const faults = faultPermission(this.name, this.#options.allowDestructive === true, marker.exitCode === 0);
    const hostKey = await connection.trustedHostKey();
    progress(
      `host ${this.name}: connected in ${secondsSince(started)}` +
        (hostKey === undefined ? "" : `, its host key trusted: ${hostKey}`) +
        `; ${faults.allowed ? "declared disposable, faults allowed" : "read-only"}`,
    );
    return new SshHost(connection, {
      name: this.name,
      provenance: "existing",
      faults,
      dispose: connection.close,
    });
  }
}
