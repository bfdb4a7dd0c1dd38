import { UsageError } from "../../errors.ts";
import type { CommandResult } from "../../host/command.ts";
import { probeFromDockerNetwork } from "../../exposure/probe-from-network.ts";
import { once, type FaultPermission, type Host, type OutsideView, type RunOptions } from "../../host/host.ts";
import { LoopbackRelays } from "../../host/loopback-relay.ts";
import { runLocal } from "../../host/local-command.ts";
import { docker } from "../../docker/docker-cli.ts";
import { OWNER_LEASE } from "../../docker/labels.ts";
import { hostReady } from "../../waits/host-waits.ts";

/** How long a boot (or reboot) may take to reach `running` with the inner engine up. */
export const BOOT_TIMEOUT_MS = 120_000;

/** What a host needs of its container: the loopback port a host port is published on, and a restart. */
export interface HostContainer {
  /** Throws when the port is not published. */
  mappedPort(port: number): number;
  /** A graceful restart: systemd shuts down its units and the inner engine, as on a real reboot. */
  restart(): Promise<void>;
}

/** A host that is a systemd + Docker container on this machine's engine. */
export class ContainerHost implements Host {
  readonly name: string;
  readonly provenance = "made";
  readonly faults: FaultPermission = { allowed: true };
  readonly slowdown = 1;
  readonly #container: HostContainer;
  readonly #dispose: () => Promise<void>;
  readonly #relays = new LoopbackRelays((script) => this.commandLine(script));
  readonly #leasing: NodeJS.Timeout;

  constructor(name: string, container: HostContainer, dispose: () => Promise<void>) {
    this.name = name;
    this.#container = container;
    // The owner's lease, for a harness in another PID namespace sharing this engine (OWNER_LEASE).
    const renew = () => {
      this.run(`touch ${OWNER_LEASE.file}`, { check: false, timeoutMs: 15_000 }).catch(() => undefined);
    };
    renew();
    this.#leasing = setInterval(renew, OWNER_LEASE.renewMs);
    this.#leasing.unref();
    this.#dispose = once(async () => {
      clearInterval(this.#leasing);
      await this.#relays.close();
      await dispose();
    });
  }

  /** Published ports reach the host's external interface; loopback-only services need a relay. */
  loopbackPort(port: number, address?: string): Promise<number> {
    return this.#relays.port(port, address);
  }

  commandLine(script: string): string[] {
    return ["docker", "exec", "-i", this.name, "bash", "-c", script];
  }

  run(script: string, options: RunOptions = {}): Promise<CommandResult> {
    const interactive = options.input === undefined ? [] : ["-i"];
    return runLocal("docker", ["exec", ...interactive, this.name, "bash", "-c", script], {
      host: this.name,
      display: script,
      ...options,
    });
  }

  async copyIn(localPath: string, hostPath: string): Promise<void> {
    await docker(["cp", localPath, `${this.name}:${hostPath}`], { host: this.name });
  }

  async copyOut(hostPath: string, localPath: string): Promise<void> {
    await docker(["cp", `${this.name}:${hostPath}`, localPath], { host: this.name });
  }

  url(port: number, path = "/"): string {
    let mapped: number;
    try {
      mapped = this.#container.mappedPort(port);
    } catch {
      throw new UsageError(
        `port ${port} of host ${this.name} is not published: pass it in the host's "ports"`,
      );
    }
    return `http://127.0.0.1:${mapped}${path.startsWith("/") ? path : `/${path}`}`;
  }

  /** From a probe container on the host's own network (another machine of that network), at its address there. */
  async outside(): Promise<OutsideView> {
    const network = `(index .NetworkSettings.Networks "${this.name}")`;
    const inspected = await docker([
      "inspect",
      "--format",
      // The image by its id: a template's tag may be gone while the host still runs from it.
      `{{${network}.IPAddress}} {{${network}.Gateway}} {{.Image}}`,
      this.name,
    ]);
    const [address = "", gateway = "", image = ""] = inspected.stdout.trim().split(" ");
    return {
      from: `a probe container on the host's network ${this.name}`,
      address,
      // The forwards of this machine's loopback ports come in through the network's gateway.
      ...(gateway === "" ? {} : { harnessSource: gateway }),
      probe: (request) => probeFromDockerNetwork(this.name, address, request, { name: this.name, image }),
    };
  }

  async reboot(): Promise<void> {
    await this.#container.restart();
    await hostReady(this).waitUntilReady(BOOT_TIMEOUT_MS);
  }

  dispose(): Promise<void> {
    return this.#dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }
}
