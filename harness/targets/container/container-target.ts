import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { once, type Host } from "../../host/host.ts";
import { docker } from "../../docker/docker-cli.ts";
import { clean } from "../../docker/clean.ts";
import { labelArgs, managedLabels } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import { ensureImages } from "../../images/image-builder.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import type { HostOptions, Target } from "../target.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { BOOT_TIMEOUT_MS, ContainerHost } from "./container-host.ts";
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

/** Wheels and downloads pip fetched for earlier hosts, kept on this machine between runs. */
async function pipCacheDir(): Promise<string> {
  const dir = path.join(
    process.env["XDG_CACHE_HOME"] ?? path.join(homedir(), ".cache"),
    "sattva-chaos",
    "pip",
  );
  await mkdir(dir, { recursive: true });
  return dir;
}

/**
 * The default target: a systemd + Docker "VPS" as a container on this machine's Docker engine.
 * Every host gets its own name, network, /var/lib/docker volume and loopback ports, so several can
 * run side by side (vitest workers, two engineers); all of it carries the harness's labels.
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

    const dispose = once(async () => {
      unregister();
      await clean({ host: name });
    });
    const unregister = options.keep === true ? () => undefined : teardownOnSignal(dispose);
    try {
      const subnet = await createHostNetwork(name, labels);
      await docker(["volume", "create", ...labelArgs(labels), `${name}-docker`]);
      progress(`host ${name}: network ${subnet}, booting ${hostImage}…`);
      const started = performance.now();
      const container = await new SystemdHostContainer(hostImage, {
        name,
        network: name,
        dockerVolume: `${name}-docker`,
        labels,
        innerDaemonJson: innerDaemonJson(resolver),
        ports: options.ports ?? [],
        pipCacheDir: await pipCacheDir(),
      }).start();
      const hostContainer = {
        mappedPort: (port: number) => container.getMappedPort(port),
        restart: async () => {
          await container.restart({ timeout: 30 });
        },
      };
      const host = new ContainerHost(name, hostContainer, dispose);
      await hostReady(host).waitUntilReady(BOOT_TIMEOUT_MS);
      await mirrorMachineTrust(host);
      progress(`host ${name}: systemd running, inner Docker up in ${secondsSince(started)}`);
      const refs = (options.images ?? []).flatMap((image) => (image.ref === undefined ? [] : [image.ref]));
      if (refs.length > 0) {
        const loading = performance.now();
        await loadImagesIntoHost(host, refs);
        progress(
          `host ${name}: ${refs.length} image(s) loaded into the inner engine in ${secondsSince(loading)}`,
        );
      }
      return host;
    } catch (error) {
      await dispose();
      throw error;
    }
  }
}
