import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { once, type Host } from "../../host/host.ts";
import { docker } from "../../docker/docker-cli.ts";
import { clean } from "../../docker/clean.ts";
import { Label, labelArgs, managedLabels } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import { ensureImages } from "../../images/image-builder.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import { provisionHost, type HostOptions, type Target } from "../target.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { BOOT_TIMEOUT_MS, ContainerHost, type HostContainer } from "./container-host.ts";
import { HostTemplate, TemplateGoneError } from "./host-template.ts";
import { releaseHeldUnits } from "../held-units.ts";
import { captureHost } from "./capture.ts";
import { HostBaseline } from "./host-baseline.ts";
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

/** What every host of one `start` shares: its images, this machine's resolver, where progress goes. */
interface StartContext {
  readonly hostImage: string;
  readonly refs: readonly string[];
  readonly resolver: string;
  readonly options: HostOptions;
  readonly progress: (line: string) => void;
}

/**
 * The default target: a systemd + Docker "VPS" as a container on this machine's Engine.
 * Every host gets its own name, network, /var/lib/docker volume and loopback ports, so several can
 * run side by side (vitest workers, two engineers); all of it carries the harness's labels. A host
 * starts from a template (see HostTemplate): its engine a copy of one with the service images loaded,
 * and, given the stack to provision, the whole host a copy of the first one provisioned with it.
 */
export class ContainerTarget implements Target {
  readonly name = "container";
  readonly provenance = "made";
  /** The image hosts boot from, if not the catalogue's host image (a VM's root filesystem, say). */
  readonly #hostImage: string | undefined;

  constructor(options: { readonly hostImage?: string } = {}) {
    this.#hostImage = options.hostImage;
  }

  async start(options: HostOptions = {}): Promise<Host> {
    const progress = options.progress ?? (() => undefined);
    const [resolver, { hostImage, refs, engine }] = await Promise.all([
      machineResolver(),
      templateInputs(options, progress, this.#hostImage),
    ]);
    const context: StartContext = { hostImage, refs, resolver, options, progress };
    const host = await startProvisioned(context, engine);
    const provisioning = options.provisioning;
    if (options.keep !== true || provisioning === undefined) return host;
    return disposedOnFailure(host, async () => {
      const capturing = performance.now();
      const baseline = new HostBaseline(host.name);
      await baseline.capture(host, managedLabels(host.name, true), provisioning.heldUnits, hostImage);
      progress(
        `host ${host.name}: its baseline captured in ${secondsSince(capturing)} (\`run --target ${host.name}\` resets it there between files)`,
      );
    });
  }
}

/** A new host with the stack provisioned (if the options give one), from a template where one is kept. */
async function startProvisioned(
  context: StartContext,
  engine: HostTemplate | undefined,
  attempt = 1,
): Promise<ContainerHost> {
  const { options, progress } = context;
  const provisioning = options.provisioning;
  if (provisioning === undefined) return startHost(context, engine);
  if (engine === undefined) {
    const host = await startHost(context, undefined);
    return disposedOnFailure(host, () => provisionHost(host, provisioning, progress));
  }

  const template = engine.provisioned(provisioning);
  const building = performance.now();
  let captured: ContainerHost | undefined;
  const ensured = await template
    .ensure(async () => {
      // Another checkout's template with the same provisioning otherwise: only files differ, and
      // provisioning again converges to this one (HostProvisioning.family).
      let relative = await template.relative();
      progress(
        `${template.title}: none for this stack yet; this host ` +
          (relative === undefined ? "" : `starts from ${relative.title} (the same provisioning), `) +
          "is provisioned, then copied for the next",
      );
      const host = await startHost(context, relative ?? engine).catch((error: unknown) => {
        // The relative was removed while this host copied it (its run ended): from the engine, then.
        if (!(error instanceof TemplateGoneError) || relative === undefined) throw error;
        progress(`${error.message}; this host starts from ${engine.title} instead`);
        relative = undefined;
        return startHost(context, engine);
      });
      captured = await disposedOnFailure(host, async () => {
        await provisionHost(host, provisioning, progress);
        await captureHost(host, {
          image: template.image,
          labels: {},
          heldUnits: provisioning.heldUnits,
          firstBoot: true,
          captureEngine: (engine) => template.captureEngine(engine, managedLabels(host.name)),
        });
        if (relative !== undefined) await releaseHeldUnits(host, provisioning.heldUnits);
      });
      return captured;
    }, progress)
    .catch(async (error: unknown) => {
      // Captured, then the template could not be marked finished: the host is not handed out.
      await captured?.dispose();
      throw error;
    });
  if (ensured.built) {
    progress(`${template.title}: built in ${secondsSince(building)}`);
    return ensured.value;
  }
  let host: ContainerHost;
  try {
    host = await startHost(context, template);
  } catch (error) {
    // Another run pruned or rebuilt it between our finding it and copying it: once more, which builds it.
    if (!(error instanceof TemplateGoneError) || attempt > 1) throw error;
    progress(`${error.message}; starting the host again`);
    return startProvisioned(context, engine, attempt + 1);
  }
  await disposedOnFailure(host, () => releaseHeldUnits(host, provisioning.heldUnits));
  progress(`host ${host.name}: provisioned: a copy of ${template.title}`);
  return host;
}

/** The host image, the service images' refs and the engine template (if any) of a `start`. */
async function templateInputs(
  options: HostOptions,
  progress: (line: string) => void,
  hostImageGiven?: string,
) {
  const hostImage =
    hostImageGiven ??
    (await ensureImages({ mode: options.imageMode ?? "offline", services: ["host"], progress })).get("host")
      ?.ref;
  if (hostImage === undefined) throw new Error("the host image has no offline recipe");
  const refs = (options.images ?? []).flatMap((image) => (image.ref === undefined ? [] : [image.ref]));
  const engine =
    refs.length > 0 && options.templates !== false ? await HostTemplate.engine(hostImage, refs) : undefined;
  return { hostImage, refs, engine };
}

/**
 * The host template a `start` with these options uses, if any (the provisioned one when it provisions
 * a stack, else its engine's): for a test to remove the one its own images or temporary stack made.
 */
export async function hostTemplateFor(options: HostOptions): Promise<HostTemplate | undefined> {
  const { engine } = await templateInputs(options, () => undefined);
  return options.provisioning === undefined ? engine : engine?.provisioned(options.provisioning);
}

/** Runs `work` on a new host and returns the host; a host whose setup failed is removed, not handed out. */
async function disposedOnFailure(host: ContainerHost, work: () => Promise<unknown>): Promise<ContainerHost> {
  try {
    await work();
    return host;
  } catch (error) {
    await host.dispose();
    throw error;
  }
}

/**
 * A new host, from `template` when there is one: an engine template is built first if it is missing;
 * a provisioned one must exist already (`HostTemplate.ensure`).
 */
async function startHost(context: StartContext, template: HostTemplate | undefined): Promise<ContainerHost> {
  const { hostImage, refs, resolver, options, progress } = context;
  const name = `sattva-chaos-host-${randomBytes(4).toString("hex")}`;
  const labels = {
    ...managedLabels(name, options.keep),
    ...(options.keep === true && options.provisioning !== undefined
      ? { [Label.stack]: options.provisioning.checkout }
      : {}),
  };
  const boot: Boot = (host, hostLabels, volume, image, ports = []) =>
    bootHost(image, { name: host, labels: hostLabels, volume, resolver, ports, progress });

  const dispose = once(async () => {
    unregister();
    await clean({ host: name });
  });
  const unregister = options.keep === true ? () => undefined : teardownOnSignal(dispose);
  try {
    const volume = `${name}-docker`;
    await docker(["volume", "create", ...labelArgs(labels), volume]);
    if (template?.kind === "engine") {
      const building = performance.now();
      const ensured = await template.ensure(async (templateVolume) => {
        progress(
          `${template.title}: building it (${refs.length} image(s) loaded once, copied into each host)…`,
        );
        await buildEngineTemplate(templateVolume, refs, (host, hostLabels, vol) =>
          boot(host, hostLabels, vol, hostImage),
        );
      }, progress);
      if (ensured.built) progress(`${template.title}: built in ${secondsSince(building)}`);
    }
    if (template !== undefined) {
      const copying = performance.now();
      await template.cloneInto(volume, labels);
      progress(
        `host ${name}: engine copied from ${template.title} (${refs.length} image(s)) in ${secondsSince(copying)}`,
      );
    }
    const { container, bootedAt } = await boot(
      name,
      labels,
      volume,
      template?.image ?? hostImage,
      options.ports,
    );
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
          progress(`host ${name}: ${template.title} lacked ${loaded.join(", ")}; dropped to be rebuilt`);
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

/** Boots a host container named `name` from `image` with `volume` as its /var/lib/docker. */
type Boot = (
  name: string,
  labels: Record<string, string>,
  volume: string,
  image: string,
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
  image: string,
  options: BootOptions,
): Promise<{ container: HostContainer; bootedAt: number }> {
  const subnet = await createHostNetwork(options.name, options.labels);
  options.progress(`host ${options.name}: network ${subnet}, booting ${image}…`);
  const bootedAt = performance.now();
  return { container: await runHostContainer(image, options), bootedAt };
}

/**
 * Boots the container of host `name` from `image` on the host's network (named after it), with
 * `volume` as its /var/lib/docker and its `ports` published on loopback: on `hostPorts` where given
 * (a host recreated keeps its ports), else on ports Docker picks.
 */
export async function runHostContainer(
  image: string,
  options: Omit<BootOptions, "progress"> & { readonly hostPorts?: ReadonlyMap<number, number> },
): Promise<HostContainer> {
  const container = await new SystemdHostContainer(image, {
    name: options.name,
    network: options.name,
    dockerVolume: options.volume,
    labels: options.labels,
    innerDaemonJson: innerDaemonJson(options.resolver),
    ports: options.ports,
    ...(options.hostPorts === undefined ? {} : { hostPorts: options.hostPorts }),
    pipCacheDir: await pipCacheDir(),
  }).start();
  return {
    mappedPort: (port: number) => container.getMappedPort(port),
    restart: async () => {
      await container.restart({ timeout: 30 });
    },
  };
}

/**
 * Fills a template volume: a host of its own boots on it, loads the images, and stops its engine
 * cleanly (a copy of a running engine's directory could be torn), then goes, leaving only the volume.
 */
async function buildEngineTemplate(
  volume: string,
  refs: readonly string[],
  boot: (name: string, labels: Record<string, string>, volume: string) => ReturnType<Boot>,
): Promise<void> {
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
