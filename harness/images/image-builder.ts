import { createHash } from "node:crypto";
import { chmod, copyFile, cp, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError } from "../errors.ts";
import { CommandError } from "../host/command.ts";
import { runLocal } from "../host/local-command.ts";
import { assertDockerRunning, docker } from "../docker/docker-cli.ts";
import { Label, labelArgs } from "../docker/labels.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { secondsSince } from "../format.ts";
import { reportDir } from "../scenario/report-dir.ts";
import { machineCertificates } from "../targets/machine-trust.ts";
import {
  CATALOGUE,
  LOCAL_ONLY,
  ONLINE_BASE,
  SERVICES,
  type GoBinary,
  type ImageMode,
  type ImageSource,
  type Service,
} from "./catalogue.ts";
import { buildDebianBase, debianBase } from "./debian-base.ts";
import { recipeHash } from "./recipe-hash.ts";

/** The mirror the official Debian image's apt uses, passed to recipes built on it. */
const ONLINE_MIRROR = "http://deb.debian.org/debian";
const RECIPES_DIR = fileURLToPath(new URL("../../fixtures/images/", import.meta.url));

/** Images built by the harness are named `sattva-chaos/<service>:<recipe hash>`. */
const BUILT_HERE = "sattva-chaos/";

export function isBuiltHere(ref: string): boolean {
  return ref.startsWith(BUILT_HERE);
}

/** An image ready in the local engine, or the reason the service has none in this mode. */
export type ResolvedImage =
  | { readonly service: Service; readonly ref: string; readonly skipped?: undefined }
  | { readonly service: Service; readonly skipped: string; readonly ref?: undefined };

/** The images a host's own engine gets: every service's, less those used on this machine only. */
export function imagesForHostEngine(images: ReadonlyMap<Service, ResolvedImage>): ResolvedImage[] {
  return [...images.values()].filter((image) => !LOCAL_ONLY.has(image.service));
}

export interface EnsureImagesOptions {
  readonly mode: ImageMode;
  readonly services?: readonly Service[];
  /** One line per image and phase (progress for long builds). */
  readonly progress?: (line: string) => void;
  /**
   * Mixed into every recipe hash. Benchmarks use it to force a cold build under fresh tags without
   * touching the cached images.
   */
  readonly salt?: string;
}

async function imageExists(ref: string): Promise<boolean> {
  return (await docker(["image", "inspect", "--format", "{{.Id}}", ref], { check: false })).exitCode === 0;
}

/** On a failed build, keeps its whole output under reports/image-builds/ and names the file in the error. */
export async function keepLogOnFailure<T>(name: string, build: () => Promise<T>): Promise<T> {
  try {
    return await build();
  } catch (error) {
    if (error instanceof CommandError) {
      await mkdir(reportDir("image-builds"), { recursive: true });
      const file = reportDir("image-builds", `${name}.log`);
      await writeFile(file, `${error.command}\n\n${error.stdout}\n${error.stderr}`);
      error.message += `\n(full build log: ${file})`;
    }
    throw error;
  }
}

/** The npm a node image gets (Node's own release carries one; this machine's Node binary does not). */
const NPM_VERSION = "11.6.2";
/** What goes into a node image besides its recipe, hashed into its tag: Node's version, npm's, the CAs. */
async function nodeRuntimeInputs(): Promise<object> {
  const certificates = await Promise.all(
    (await machineCertificates()).map(async (file) =>
      createHash("sha256")
        .update(await readFile(file))
        .digest("hex"),
    ),
  );
  return { node: process.version, arch: process.arch, npm: NPM_VERSION, certificates };
}

/** Puts this machine's Node binary, npm's package from the registry and its CAs in a build context. */
async function addNodeRuntime(context: string): Promise<void> {
  await copyFile(process.execPath, path.join(context, "node"));
  await chmod(path.join(context, "node"), 0o755);
  const packed = await runLocal(
    "npm",
    ["pack", `npm@${NPM_VERSION}`, "--silent", "--pack-destination", context],
    {
      timeoutMs: 5 * 60_000,
    },
  );
  await rename(
    path.join(context, packed.stdout.trim().split("\n").at(-1) ?? ""),
    path.join(context, "npm.tgz"),
  );
  await mkdir(path.join(context, "certificates"), { recursive: true });
  for (const file of await machineCertificates())
    await copyFile(file, path.join(context, "certificates", path.basename(file)));
}

async function installGoBinaries(binaries: readonly GoBinary[], into: string): Promise<void> {
  await withTempDir("gobin", async (gobin) => {
    for (const binary of binaries) {
      await runLocal("go", ["install", "-trimpath", `${binary.package}@${binary.version}`], {
        timeoutMs: 10 * 60_000,
        env: { GOBIN: gobin, CGO_ENABLED: "0" },
      }).catch((error: unknown) => {
        if (error instanceof EnvironmentError) {
          throw new EnvironmentError(`${error.message}; Go is needed to build ${binary.package} offline`);
        }
        throw error;
      });
      await rename(path.join(gobin, path.basename(binary.package)), path.join(into, binary.as));
    }
  });
}

/**
 * Makes sure every requested service has its image in the local engine, building (offline) or
 * pulling (online) only what is missing. Images are tagged by the hash of their recipe, so an
 * unchanged recipe is found in seconds and a changed one gets a new tag.
 */
/** The tag a recipe's image gets: its service and the hash of everything that goes into it. */
async function recipeRef(
  service: Service,
  source: Extract<ImageSource, { kind: "build" }>,
  buildArgs: { readonly BASE: string; readonly MIRROR: string },
  salt: string,
): Promise<{ ref: string; hash: string }> {
  const recipeDir = path.join(RECIPES_DIR, source.recipe);
  const hash = await recipeHash(recipeDir, {
    buildArgs,
    goBinaries: source.goBinaries ?? [],
    salt,
    ...(source.nodeRuntime === true ? { nodeRuntime: await nodeRuntimeInputs() } : {}),
  });
  return { ref: `${BUILT_HERE}${service}:${hash}`, hash };
}

/** What ensureImages would still have to make on this machine, and the tools and access that takes. */
export interface ImagesToMake {
  readonly missing: readonly Service[];
  /** "debootstrap" (the offline base), "go" (binaries built into images), "registry" (pulls). */
  readonly needs: ReadonlySet<"debootstrap" | "go" | "registry">;
}

/** The images of `mode` not on this machine yet, without making any (for the preflight). */
export async function imagesToMake(
  mode: ImageMode,
  services: readonly Service[] = SERVICES,
): Promise<ImagesToMake> {
  const missing: Service[] = [];
  const needs = new Set<"debootstrap" | "go" | "registry">();
  const base = mode === "online" ? { ref: ONLINE_BASE, mirror: ONLINE_MIRROR } : await debianBase("");
  const baseMissing = !(await imageExists(base.ref));
  for (const service of services) {
    const source = CATALOGUE[service][mode];
    if (source.kind === "unavailable") continue;
    if (source.kind === "pull") {
      if (await imageExists(source.ref)) continue;
      missing.push(service);
      needs.add("registry");
      continue;
    }
    const { ref } = await recipeRef(service, source, { BASE: base.ref, MIRROR: base.mirror }, "");
    if (await imageExists(ref)) continue;
    missing.push(service);
    if (baseMissing) needs.add(mode === "online" ? "registry" : "debootstrap");
    if ((source.goBinaries ?? []).length > 0) needs.add("go");
  }
  return { missing, needs };
}

export async function ensureImages(options: EnsureImagesOptions): Promise<Map<Service, ResolvedImage>> {
  await assertDockerRunning();
  const progress = options.progress ?? (() => undefined);
  const services = options.services ?? SERVICES;
  const salt = options.salt ?? "";
  const resolved = new Map<Service, ResolvedImage>();
  const total = services.length;

  let baseRef: string | undefined;
  let mirror = "";
  const ensureBase = async (): Promise<string> => {
    if (baseRef !== undefined) return baseRef;
    if (options.mode === "online") {
      baseRef = ONLINE_BASE;
      mirror = ONLINE_MIRROR;
      if (!(await imageExists(baseRef))) await docker(["pull", baseRef], { timeoutMs: 10 * 60_000 });
      return baseRef;
    }
    const base = await debianBase(salt);
    mirror = base.mirror;
    if (await imageExists(base.ref)) {
      progress(`      base          ${base.ref}  cached`);
    } else {
      progress(`      base          ${base.ref}  building (debootstrap ${base.mirror})…`);
      const started = performance.now();
      await keepLogOnFailure("base", () => buildDebianBase(base));
      progress(`      base          built in ${secondsSince(started)}`);
    }
    baseRef = base.ref;
    return baseRef;
  };

  for (const [index, service] of services.entries()) {
    const source = CATALOGUE[service][options.mode];
    const prefix = `[${index + 1}/${total}] ${service.padEnd(13)}`;
    if (source.kind === "unavailable") {
      resolved.set(service, { service, skipped: source.reason });
      progress(`${prefix} skipped: ${source.reason}`);
      continue;
    }
    if (source.kind === "pull") {
      if (!(await imageExists(source.ref))) {
        progress(`${prefix} pulling ${source.ref}…`);
        await docker(["pull", source.ref], { timeoutMs: 10 * 60_000 });
      }
      resolved.set(service, { service, ref: source.ref });
      progress(`${prefix} ${source.ref}  ready`);
      continue;
    }
    const base = await ensureBase();
    const recipeDir = path.join(RECIPES_DIR, source.recipe);
    const buildArgs = { BASE: base, MIRROR: mirror };
    const { ref, hash } = await recipeRef(service, source, buildArgs, salt);
    resolved.set(service, { service, ref });
    if (await imageExists(ref)) {
      progress(`${prefix} ${ref}  cached`);
      continue;
    }
    progress(`${prefix} ${ref}  building…`);
    const started = performance.now();
    await withTempDir(`context-${service}`, async (context) => {
      await cp(recipeDir, context, { recursive: true });
      if (source.goBinaries !== undefined) await installGoBinaries(source.goBinaries, context);
      if (source.nodeRuntime === true) await addNodeRuntime(context);
      const labels = labelArgs({ [Label.managed]: "true", [Label.recipe]: hash });
      const args = Object.entries(buildArgs).flatMap(([key, value]) => ["--build-arg", `${key}=${value}`]);
      await keepLogOnFailure(service, () =>
        docker(["build", "--tag", ref, ...labels, ...args, context], {
          timeoutMs: 30 * 60_000,
          env: { DOCKER_BUILDKIT: "0" },
        }),
      );
    });
    progress(`${prefix} built in ${secondsSince(started)}`);
  }
  return resolved;
}
