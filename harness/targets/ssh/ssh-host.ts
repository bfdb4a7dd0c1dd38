import type { CommandResult } from "../../host/command.ts";
import { once, type FaultPermission, type Host, type OutsideView, type RunOptions } from "../../host/host.ts";
import { probeHost } from "../../exposure/port-probe.ts";
import { LoopbackRelays } from "../../host/loopback-relay.ts";
import { tarCopyIn, tarCopyOut } from "../../host/pipe.ts";
import { UsageError } from "../../errors.ts";
import { InconclusiveError } from "../../chaos/verdict.ts";
import { hostReady } from "../../waits/host-waits.ts";
import type { SshConnection } from "./ssh-connection.ts";

/** How long a reboot may take until SSH answers and systemd is `running` again. */
const REBOOT_TIMEOUT_MS = 300_000;

export interface SshHostOptions {
  readonly name: string;
  readonly provenance: Host["provenance"];
  readonly faults: FaultPermission;
  /** See Host.slowdown (1 unless the host is emulated). */
  readonly slowdown?: number;
  /** What disposing the host means: closing the connection, destroying a VM… (safe to call twice). */
  readonly dispose: () => Promise<void>;
}

/** A host reached over SSH: an existing staging host, or a VM the harness made. */
export class SshHost implements Host {
  readonly name: string;
  readonly provenance: Host["provenance"];
  readonly faults: FaultPermission;
  readonly slowdown: number;
  readonly connection: SshConnection;
  readonly #dispose: () => Promise<void>;
  readonly #relays = new LoopbackRelays((script) => this.commandLine(script));

  constructor(connection: SshConnection, options: SshHostOptions) {
    this.connection = connection;
    this.name = options.name;
    this.provenance = options.provenance;
    this.faults = options.faults;
    this.slowdown = options.slowdown ?? 1;
    this.#dispose = once(async () => {
      await this.#relays.close();
      await options.dispose();
    });
  }

  run(script: string, options: RunOptions = {}): Promise<CommandResult> {
    return this.connection.run(script, options);
  }

  /**
   * Straight from this machine to the host's address (a VM's, a staging host's), not through the
   * tunnel. A host reached at a loopback address (a forward) cannot be seen from outside from here:
   * that is inconclusive, never a pass.
   */
  outside(): Promise<OutsideView> {
    const address = this.connection.address.hostname;
    if (isLoopback(address))
      return Promise.reject(
        new InconclusiveError(
          `${this.name} is reached at ${address}, a loopback address (a forward or tunnel): nothing outside the host can be probed from here; ` +
            "address it as the network sees it (ssh://user@its-address) for the exposure audit",
        ),
      );
    return Promise.resolve({
      from: "this machine, straight to the host",
      address,
      probe: (request) => probeHost(address, request),
    });
  }

  commandLine(script: string): string[] {
    return this.connection.commandLine(script);
  }

  copyIn(localPath: string, hostPath: string): Promise<void> {
    return tarCopyIn(this, localPath, hostPath);
  }

  copyOut(hostPath: string, localPath: string): Promise<void> {
    return tarCopyOut(this, hostPath, localPath);
  }

  url(port: number, path = "/"): string {
    const local = this.connection.localPort(port);
    if (local === undefined) {
      throw new UsageError(
        `port ${port} of host ${this.name} is not forwarded: pass it in the host's "ports"`,
      );
    }
    return `http://127.0.0.1:${local}${path.startsWith("/") ? path : `/${path}`}`;
  }

  /** The connection's forward of the port (to the host's loopback, as `ssh -L` does), else a relay through it. */
  async loopbackPort(port: number, address?: string): Promise<number> {
    const forwarded = address === undefined ? this.connection.localPort(port) : undefined;
    return forwarded ?? (await this.#relays.port(port, address));
  }

  async reboot(): Promise<void> {
    // The connection drops as the host goes down; the exit status of this command is meaningless.
    await this.run("systemctl reboot", { check: false, timeoutMs: 30_000 });
    await this.connection.reconnect(REBOOT_TIMEOUT_MS);
    await hostReady(this).waitUntilReady(REBOOT_TIMEOUT_MS);
  }

  dispose(): Promise<void> {
    return this.#dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}

/** 127.0.0.0/8, ::1 and localhost: this machine itself. */
function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" || hostname === "[::1]" || /^127\./.test(hostname);
}
