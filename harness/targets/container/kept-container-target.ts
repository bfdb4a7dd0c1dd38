import { docker } from "../../docker/docker-cli.ts";
import { Label, labelArgs } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import { UsageError } from "../../errors.ts";
import type { Host } from "../../host/host.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { provisionHost, type HostOptions, type Target } from "../target.ts";
import { releaseHeldUnits } from "../held-units.ts";
import { BOOT_TIMEOUT_MS, ContainerHost, type HostContainer } from "./container-host.ts";
import { runHostContainer } from "./container-target.ts";
import { HostBaseline } from "./host-baseline.ts";
import { machineResolver } from "./resolver.ts";

/** Names the container target gives its hosts: `--target NAME` runs on one of them left up. */
export const KEPT_HOST_NAME = /^sattva-chaos-host-[0-9a-f]{8}$/;

/** Where a host records the run that last started a scenario file on it: a later file of that run resets it. */
const RUN_FILE = "/var/lib/sattva-chaos-run";

/** A host container found by name; its published ports are read again after every restart. */
class InspectedContainer implements HostContainer {
  readonly name: string;
  #ports = new Map<number, number>();

  constructor(name: string) {
    this.name = name;
  }

  async inspect(): Promise<Record<string, string>> {
    const result = await docker(
      ["inspect", "--format", "{{json .Config.Labels}}\n{{json .NetworkSettings.Ports}}", this.name],
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

  /** Every published port, and the loopback port it is published on. */
  get ports(): ReadonlyMap<number, number> {
    return this.#ports;
  }

  mappedPort(port: number): number {
    const mapped = this.#ports.get(port);
    if (mapped === undefined) throw new Error(`port ${port} is not published`);
    return mapped;
  }

  async restart(): Promise<void> {
    await docker(["restart", "--time", "30", this.name]);
    await this.inspect();
  }
}

/**
 * A host left up by `up` or `run --keep`, named on the command line (`--target sattva-chaos-host-…`):
 * an engineer brings a host up once and reruns one scenario against it in seconds. A run's first
 * scenario file uses the host as it is (provisioning finds nothing to change); each later file of the
 * run starts from the host's baseline (HostBaseline), as a VM is reset to its snapshot. The host stays
 * up after the run, and `down` removes it.
 */
export class KeptContainerTarget implements Target {
  readonly name: string;
  readonly provenance = "made";

  constructor(name: string) {
    this.name = name;
  }

  /**
   * The checkout the host was provisioned with (undefined for a host made by an older sattva-chaos):
   * a run on it deploys that one, not another beside it.
   */
  async checkout(): Promise<string | undefined> {
    return (await this.#labels(new InspectedContainer(this.name)))[Label.stack];
  }

  async start(options: HostOptions = {}): Promise<Host> {
    const progress = options.progress ?? (() => undefined);
    const container = new InspectedContainer(this.name);
    const labels = await this.#labels(container);
    const holds = labels[Label.stack];
    const deploying = options.provisioning?.checkout;
    if (holds !== undefined && deploying !== undefined && deploying !== holds)
      throw new UsageError(
        `--target ${this.name}: the host holds the checkout ${holds}, and ${deploying} was given; deploying it beside the other would run two stacks on one host: run without --stack, or \`up\` a host for ${deploying}`,
      );
    const missing = (options.ports ?? []).filter((port) => !container.ports.has(port));
    if (missing.length > 0)
      throw new UsageError(
        `--target ${this.name}: the host does not publish port(s) ${missing.join(", ")}; it was started by an older sattva-chaos: \`down\` it and \`up\` a new one`,
      );
    const host = new ContainerHost(this.name, container, () => Promise.resolve());
    await hostReady(host).waitUntilReady(BOOT_TIMEOUT_MS);
    const ranBefore = (await host.run(`cat ${RUN_FILE} 2>/dev/null || true`)).stdout.trim();
    const baseline = new HostBaseline(this.name);
    if (options.run === undefined || ranBefore !== options.run.id) {
      progress(`host ${this.name}: kept host reused as it is (its images are already loaded)`);
    } else if (await baseline.exists()) {
      const resetting = performance.now();
      await resetToBaseline(container, baseline, labels);
      await hostReady(host).waitUntilReady(BOOT_TIMEOUT_MS);
      await releaseHeldUnits(host, options.provisioning?.heldUnits ?? []);
      progress(
        `host ${this.name}: reset to its baseline (as \`up\` provisioned it, before the stack started) in ${secondsSince(resetting)}`,
      );
    } else {
      progress(
        `host ${this.name}: kept host reused as it is: it has no baseline to reset to between files (made by an older sattva-chaos)`,
      );
    }
    if (options.run !== undefined) await host.run(`echo ${options.run.id} > ${RUN_FILE}`);
    if (options.provisioning !== undefined) await provisionHost(host, options.provisioning, options.progress);
    return host;
  }

  async #labels(container: InspectedContainer): Promise<Record<string, string>> {
    const labels = await container.inspect();
    if (labels[Label.managed] !== "true" || labels[Label.keep] !== "true")
      throw new UsageError(
        `--target ${this.name}: expected a host left up by \`sattva-chaos up\` or \`run --keep\`, and there is none by that name (see \`docker ps --filter label=${Label.keep}=true\`)`,
      );
    return labels;
  }
}

/**
 * Recreates the host's container from its baseline, under the same name, labels, network and loopback
 * ports, with its engine volume made again from the baseline's engine.
 */
async function resetToBaseline(
  container: InspectedContainer,
  baseline: HostBaseline,
  labels: Record<string, string>,
): Promise<void> {
  const volume = `${container.name}-docker`;
  await docker(["rm", "-f", container.name], { timeoutMs: 120_000 });
  await docker(["volume", "rm", volume]);
  await docker(["volume", "create", ...labelArgs(labels), volume]);
  await baseline.restoreEngine(volume, labels);
  await runHostContainer(baseline.image, {
    name: container.name,
    labels,
    volume,
    resolver: await machineResolver(),
    ports: [...container.ports.keys()],
    hostPorts: container.ports,
  });
  await container.inspect();
}
