import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { once, type Host } from "../../host/host.ts";
import { docker } from "../../docker/docker-cli.ts";
import { clean } from "../../docker/clean.ts";
import { labelArgs, managedLabels } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import { ensureImages } from "../../images/image-builder.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import type { HostOptions, Target } from "../target.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { BOOT_TIMEOUT_MS, ContainerHost, type HostContainer } from "./container-host.ts";
import { EngineTemplate } from "./engine-template.ts";
import { createHostNetwork } from "./host-network.ts";
import { loadImagesIntoHost } from "../../images/load-into-host.ts";
import { mirrorMachineTrust } from "../machine-trust.ts";
import { machineResolver } from "./resolver.ts";
import { SystemdHostContainer } from "./systemd-host-container.ts";

// testcontainers' reaper (Ryuk) is an image from a registry; the harness labels and removes what it makes.
process.env["TESTCONTAINERS_RYUK_DISABLED"] = "true";

function innerDaemonJson(resolver: string): string {
  const config = {
    "storage-driver": "overlay2",
    "log-driver": "json-file",
    "log-opts": { "max-size": "10m", "max-file": "3" },
    dns: [resolver],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/**
 * The default target: a systemd + Docker "VPS" as a container on this machine's Engine.
 * Every host gets its own name, network, /var/lib/docker volume and loopback ports, so several can
 * run side by side (vitest workers, two engineers); all of it carries the harness's labels. Its
 * engine starts as a copy of a template that has the service images loaded (see EngineTemplate).
 */
export class ContainerTarget implements Target {
  readonly name = "container";
  readonly provenance = "made";

  async start(options: HostOptions = {}): Promise<Host> {
    const progress = options.progress ?? (() => undefined);
    const name = `sattva-chaos-host-${randomBytes(4).toString("hex")}`;
    const labels = managedLabels(name, options.keep);
    const [resolver, images] = await Promise.all([
      machineResolver(),
      ensureImages({ mode: options.imageMode ?? "offline", services: ["host"], progress }),
    ]);
    const hostImage = images.get("host")?.ref;
    if (hostImage === undefined) throw new Error("the host image has no offline recipe");
    const refs = (options.images ?? []).flatMap((image) => (image.ref === undefined ? [] : [image.ref]));
    const boot: Boot = (host, hostLabels, volume, ports = []) =>
      bootHost(hostImage, { name: host, labels: hostLabels, volume, resolver, ports, progress });

    const dispose = once(async () => {
      unregister();
      await clean({ host: name });
    });
    const unregister = options.keep === true ? () => undefined : teardownOnSignal(dispose);
    try {
      const volume = `${name}-docker`;
      await docker(["volume", "create", ...labelArgs(labels), volume]);
      const template =
        refs.length > 0 && options.engineTemplate !== false
          ? await EngineTemplate.of(hostImage, refs)
          : undefined;
      if (template !== undefined) {
        const building = performance.now();
        const how = await template.ensure(async (templateVolume) => {
          progress(
            `engine template ${template.key}: building it (${refs.length} image(s) loaded once, copied into each host)…`,
          );
          await buildTemplate(templateVolume, refs, boot);
        }, progress);
        if (how === "built") progress(`engine template ${template.key}: built in ${secondsSince(building)}`);
        const copying = performance.now();
        await template.cloneInto(volume, labels);
        progress(
          `host ${name}: engine copied from template ${template.key} (${refs.length} image(s)) in ${secondsSince(copying)}`,
        );
      }
      const { container, bootedAt } = await boot(name, labels, volume, options.ports);
      const host = new ContainerHost(name, container, dispose);
      await hostReady(host).waitUntilReady(BOOT_TIMEOUT_MS);
      await mirrorMachineTrust(host);
      progress(`host ${name}: systemd running, inner Docker up in ${secondsSince(bootedAt)}`);
      if (refs.length > 0) {
        const loading = performance.now();
        const loaded = await loadImagesIntoHost(host, refs);
        if (loaded.length > 0) {
          progress(
            `host ${name}: ${loaded.length} image(s) loaded into the inner engine in ${secondsSince(loading)}`,
          );
          if (template !== undefined) {
            // A template that lacks an image it was keyed for is damaged: the next host rebuilds it.
            progress(
              `host ${name}: engine template ${template.key} lacked ${loaded.join(", ")}; dropped to be rebuilt`,
            );
            await template.remove();
          }
        }
      }
      return host;
    } catch (error) {
      await dispose();
      throw error;
    }
  }
}

/** Boots a host container named `name` with `volume` as its /var/lib/docker. */
type Boot = (
  name: string,
  labels: Record<string, string>,
  volume: string,
  ports?: readonly number[],
) => Promise<{ container: HostContainer; bootedAt: number }>;

interface BootOptions {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** The volume mounted as the host's /var/lib/docker. */
  readonly volume: string;
  readonly resolver: string;
  readonly ports: readonly number[];
  readonly progress: (line: string) => void;
}

/** Creates the host's network and boots its container; `bootedAt` is when the boot began. */
async function bootHost(
  hostImage: string,
  options: BootOptions,
): Promise<{ container: HostContainer; bootedAt: number }> {
  const subnet = await createHostNetwork(options.name, options.labels);
  options.progress(`host ${options.name}: network ${subnet}, booting ${hostImage}…`);
  const bootedAt = performance.now();
  const container = await new SystemdHostContainer(hostImage, {
    name: options.name,
    network: options.name,
    dockerVolume: options.volume,
    labels: options.labels,
    innerDaemonJson: innerDaemonJson(options.resolver),
    ports: options.ports,
    pipCacheDir: await pipCacheDir(),
  }).start();
  return {
    container: {
      mappedPort: (port: number) => container.getMappedPort(port),
      restart: async () => {
        await container.restart({ timeout: 30 });
      },
    },
    bootedAt,
  };
}

/**
 * Fills a template volume: a host of its own boots on it, loads the images, and stops its engine
 * cleanly (a copy of a running engine's directory could be torn), then goes, leaving only the volume.
 */
async function buildTemplate(volume: string, refs: readonly string[], boot: Boot): Promise<void> {
  const name = `sattva-chaos-template-build-${randomBytes(4).toString("hex")}`;
  const dispose = once(() => clean({ host: name }).then(() => undefined));
  const unregister = teardownOnSignal(dispose);
  try {
    const { container } = await boot(name, managedLabels(name), volume);
    const builder = new ContainerHost(name, container, dispose);
    await hostReady(builder).waitUntilReady(BOOT_TIMEOUT_MS);
    await loadImagesIntoHost(builder, refs);
    await builder.run("systemctl stop docker.socket docker.service containerd.service");
  } finally {
    unregister();
    await dispose();
  }
}

/** Wheels and downloads pip fetched for earlier hosts, kept on this machine between runs. */
async function pipCacheDir(): Promise<string> {
  const dir = cacheDir("pip");
  await mkdir(dir, { recursive: true });
  return dir;
}
