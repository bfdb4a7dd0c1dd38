import { docker } from "../../docker/docker-cli.ts";
import { Label } from "../../docker/labels.ts";
import { UsageError } from "../../errors.ts";
import type { Host } from "../../host/host.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { provisionHost, type HostOptions, type Target } from "../target.ts";
import { BOOT_TIMEOUT_MS, ContainerHost, type HostContainer } from "./container-host.ts";

/** Names the container target gives its hosts: `--target NAME` runs on one of them left up. */
export const KEPT_HOST_NAME = /^sattva-chaos-host-[0-9a-f]{8}$/;

/** A host container found by name; its published ports are read again after every restart. */
class InspectedContainer implements HostContainer {
  readonly #name: string;
  #ports = new Map<number, number>();

  constructor(name: string) {
    this.#name = name;
  }

  async inspect(): Promise<Record<string, string>> {
    const result = await docker(
      ["inspect", "--format", "{{json .Config.Labels}}\n{{json .NetworkSettings.Ports}}", this.#name],
      { check: false },
    );
    if (result.exitCode !== 0) return {};
    const [labels = "{}", ports = "{}"] = result.stdout.trim().split("\n");
    const published = JSON.parse(ports) as Record<string, { HostPort: string }[] | null>;
    this.#ports = new Map(
      Object.entries(published).flatMap(([key, bindings]) =>
        bindings?.[0] === undefined ? [] : [[Number.parseInt(key, 10), Number(bindings[0].HostPort)]],
      ),
    );
    return JSON.parse(labels) as Record<string, string>;
  }

  mappedPort(port: number): number {
    const mapped = this.#ports.get(port);
    if (mapped === undefined) throw new Error(`port ${port} is not published`);
    return mapped;
  }

  async restart(): Promise<void> {
    await docker(["restart", "--time", "30", this.#name]);
    await this.inspect();
  }
}

/**
 * A host left up by `up` or `run --keep`, named on the command line (`--target sattva-chaos-host-…`):
 * runs use it as it is, so an engineer brings a host up once and reruns one scenario against it in
 * seconds. Provisioning finds nothing to change; the host stays up after the run, and `down` removes it.
 */
export class KeptContainerTarget implements Target {
  readonly name: string;
  readonly provenance = "made";

  constructor(name: string) {
    this.name = name;
  }

  async start(options: HostOptions = {}): Promise<Host> {
    const container = new InspectedContainer(this.name);
    const labels = await container.inspect();
    if (labels[Label.managed] !== "true" || labels[Label.keep] !== "true")
      throw new UsageError(
        `--target ${this.name}: expected a host left up by \`sattva-chaos up\` or \`run --keep\`, and there is none by that name (see \`docker ps --filter label=${Label.keep}=true\`)`,
      );
    const host = new ContainerHost(this.name, container, () => Promise.resolve());
    const missing = (options.ports ?? []).filter((port) => {
      try {
        return container.mappedPort(port) === 0;
      } catch {
        return true;
      }
    });
    if (missing.length > 0)
      throw new UsageError(
        `--target ${this.name}: the host does not publish port(s) ${missing.join(", ")}; it was started by an older sattva-chaos: \`down\` it and \`up\` a new one`,
      );
    await hostReady(host).waitUntilReady(BOOT_TIMEOUT_MS);
    options.progress?.(`host ${this.name}: kept host reused as it is (its images are already loaded)`);
    if (options.provisioning !== undefined) await provisionHost(host, options.provisioning, options.progress);
    return host;
  }
}
