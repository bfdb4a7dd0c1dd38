import { docker } from "./docker-cli.ts";
import {
  BASELINE_IMAGE,
  baselineVolume,
  isOwnerAlive,
  isOwnerElsewhere,
  Label,
  OWNER_LEASE,
  TEMPLATE_IMAGE,
  type Age,
} from "./labels.ts";

export interface CleanOptions {
  /** Also remove resources of live runs and hosts kept with `up`/`--keep`. */
  readonly all?: boolean;
  /** Only resources of hosts kept with `up`/`--keep` (`down` with no names): never a live run's. */
  readonly kept?: boolean;
  /** Only resources of this host. */
  readonly host?: string;
  /** Also remove the host engine templates (a cache, like the images): `clean --all`, never `down`. */
  readonly templates?: boolean;
}

/**
 * Names of what was removed, per kind ("images": kept hosts' baselines and provisioned-host templates'
 * root filesystems).
 */
export type CleanReport = Readonly<Record<"containers" | "networks" | "volumes" | "images", string[]>>;

type Kind = "container" | "network" | "volume";

export interface Resource extends Age {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** A container that is running (one that holds its owner's lease). */
  readonly running?: boolean;
}

async function listManaged(kind: Kind): Promise<Resource[]> {
  const listed = await docker([
    kind,
    "ls",
    ...(kind === "container" ? ["-a"] : []),
    "-q",
    "--filter",
    `label=${Label.managed}=true`,
  ]);
  const ids = listed.stdout.split("\n").filter((id) => id !== "");
  if (ids.length === 0) return [];
  const inspected = await docker([kind, "inspect", "--format", "{{json .}}", ...ids], { check: false });
  return inspected.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => {
      const raw = JSON.parse(line) as {
        Name?: string;
        Labels?: Record<string, string>;
        Config?: { Labels?: Record<string, string> };
        State?: { Running?: boolean };
        /** Containers and networks. */
        Created?: string;
        /** Volumes. */
        CreatedAt?: string;
      };
      const created = raw.Created ?? raw.CreatedAt;
      return {
        name: (raw.Name ?? "").replace(/^\//, ""),
        labels: raw.Config?.Labels ?? raw.Labels ?? {},
        ...(raw.State?.Running === undefined ? {} : { running: raw.State.Running }),
        ...(created === undefined ? {} : { createdAt: new Date(created) }),
      };
    });
}

/** Whether `clean` with these options removes the resource. */
export function isLeftOver(resource: Resource, options: CleanOptions): boolean {
  if (resource.labels[Label.template] !== undefined) return options.templates === true;
  if (options.host !== undefined) return resource.labels[Label.host] === options.host;
  if (options.kept === true) return resource.labels[Label.keep] === "true";
  if (options.all === true) return true;
  return resource.labels[Label.keep] !== "true" && !isOwnerAlive(resource.labels[Label.owner], resource);
}

/**
 * How long ago each running host container of an owner elsewhere had its lease renewed (OWNER_LEASE),
 * by host, measured by the host's own clock; a host with no lease file has no entry.
 */
async function leaseAges(containers: readonly Resource[]): Promise<Map<string, number>> {
  const ages = new Map<string, number>();
  const leased = containers.filter(
    (c) =>
      c.running === true &&
      isOwnerElsewhere(c.labels[Label.owner] ?? "") &&
      c.labels[Label.host] !== undefined,
  );
  await Promise.all(
    leased.map(async (container) => {
      const read = await docker(
        ["exec", container.name, "sh", "-c", `echo $(( $(date +%s) - $(stat -c %Y ${OWNER_LEASE.file}) ))`],
        { check: false, timeoutMs: 15_000 },
      );
      const seconds = read.stdout.trim();
      if (read.exitCode === 0 && /^-?\d+$/.test(seconds))
        ages.set(container.labels[Label.host] ?? "", Math.max(0, Number(seconds)) * 1000);
    }),
  );
  return ages;
}

/**
 * Removes containers, then networks, then volumes the harness made and no live run owns
 * (or all of them with `all`, or one host's with `host`). Images are a cache and stay, but for the
 * templates' with `templates`.
 */
export async function clean(options: CleanOptions = {}): Promise<CleanReport> {
  const listed = {
    container: await listManaged("container"),
    network: await listManaged("network"),
    volume: await listManaged("volume"),
  };
  // A host's network and volume go with its container: all three are judged by the host's lease.
  const leases = await leaseAges(listed.container);
  const removed = async (kind: Kind): Promise<string[]> => {
    const names = listed[kind]
      .map((r) => {
        const leaseAgeMs = leases.get(r.labels[Label.host] ?? "");
        return leaseAgeMs === undefined ? r : { ...r, leaseAgeMs };
      })
      .filter((r) => isLeftOver(r, options))
      .map((r) => r.name);
    if (names.length > 0) {
      const remove = kind === "container" ? ["rm", "-f", "-v"] : ["rm"];
      await docker([kind, ...remove, ...names], { check: false, timeoutMs: 120_000 });
    }
    return names;
  };
  const containers = await removed("container");
  const networks = await removed("network");
  const volumes = await removed("volume");
  const images = [...(await orphanBaselines()), ...(await supersededImages())];
  if (options.templates === true) {
    const listed = await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", TEMPLATE_IMAGE]);
    // And the untagged ones a host still runs from (supersededImages leaves those).
    const templates = [...lines(listed.stdout), ...(await danglingManagedImages())];
    if (templates.length > 0) await docker(["image", "rm", "-f", ...templates], { check: false });
    images.push(...templates);
  }
  return { containers, networks, volumes, images: [...new Set(images)] };
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

/** Ids of the untagged images the harness made: a template's or a baseline's root filesystem replaced by a newer one. */
async function danglingManagedImages(): Promise<string[]> {
  const listed = await docker([
    "image",
    "ls",
    "-q",
    "--filter",
    "dangling=true",
    "--filter",
    `label=${Label.managed}=true`,
  ]);
  return [...new Set(lines(listed.stdout))];
}

/**
 * Removes the harness's untagged images no container runs from, returning them: nothing can start
 * from an image without its tag, so each is a leftover (a template rebuilt under the same key leaves
 * its predecessor's root filesystem, over 100 MB, behind). Without `-f`: the engine keeps the ones a
 * host still runs from, and the next clean removes them.
 */
async function supersededImages(): Promise<string[]> {
  const dangling = await danglingManagedImages();
  if (dangling.length === 0) return [];
  await docker(["image", "rm", ...dangling], { check: false });
  const left = new Set(await danglingManagedImages());
  return dangling.filter((id) => !left.has(id));
}

/**
 * Removes the baseline images whose host is gone (its baseline volume, which goes with the host, left
 * before a crashed `clean` could remove the image), returning them. Read from the volume, not the
 * container: a host being reset to its baseline is without its container for a moment.
 */
async function orphanBaselines(): Promise<string[]> {
  const refs = lines(
    (await docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", BASELINE_IMAGE])).stdout,
  );
  if (refs.length === 0) return [];
  const volumes = new Set((await listManaged("volume")).map((volume) => volume.name));
  const orphans = refs.filter((ref) => !volumes.has(baselineVolume(ref.slice(BASELINE_IMAGE.length + 1))));
  if (orphans.length > 0) await docker(["image", "rm", "-f", ...orphans], { check: false });
  return orphans;
}
