import { access, cp, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { assertDockerRunning, docker } from "../../docker/docker-cli.ts";
import { currentOwner, Label, labelArgs } from "../../docker/labels.ts";
import { EnvironmentError } from "../../errors.ts";
import { secondsSince } from "../../format.ts";
import { CommandError } from "../../host/command.ts";
import { runLocal } from "../../host/local-command.ts";
import { buildDebianBase, debianBase } from "../../images/debian-base.ts";
import { keepLogOnFailure } from "../../images/image-builder.ts";
import { recipeHash } from "../../images/recipe-hash.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";

const RECIPE_DIR = fileURLToPath(new URL("../../../fixtures/vagrant-box/", import.meta.url));
/** Virtual size of the VM's disk; the qcow2 only holds what is written. */
const DISK_GIB = 20;
/** Bump when ensureBox changes what it makes of the recipe, so cached boxes are rebuilt. */
const BOX_PROCEDURE = 2;
/** Where assemble-disk.sh unpacks the root filesystem (an engine volume is mounted inside it). */
const ASSEMBLY_ROOT = "/rootfs";

/**
 * Where Vagrant packages keep its well-known insecure public key (Debian's and HashiCorp's); the box
 * authorizes the installed copy rather than one pasted into this repository.
 */
const KEY_DIRS = ["/usr/share/rubygems-integration/all/gems", "/opt/vagrant/embedded/gems/gems"];
const KEY_FALLBACK = "/usr/lib/ruby/vendor_ruby/vagrant/keys/vagrant.pub";

export interface Box {
  /** The name `vagrant box add` registered it under, for `config.vm.box`. */
  readonly name: string;
  /** The .box file in the cache, where one is kept (a VM template's is not: Vagrant has its copy). */
  readonly file?: string;
}

export function boxesDir(): string {
  return cacheDir("boxes");
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

async function vagrantInsecureKey(): Promise<string> {
  const candidates: string[] = [];
  for (const dir of KEY_DIRS) {
    const gems = await readdir(dir).catch(() => []);
    // The newest installed vagrant gem first.
    for (const gem of gems
      .filter((name) => /^vagrant-\d/.test(name))
      .sort()
      .reverse()) {
      candidates.push(path.join(dir, gem, "keys", "vagrant.pub"));
    }
  }
  candidates.push(KEY_FALLBACK);
  for (const file of candidates) {
    const key = await readFile(file, "utf8").catch(() => undefined);
    if (key !== undefined) return key;
  }
  throw new EnvironmentError(
    `Vagrant's insecure public key was not found (looked in ${[...KEY_DIRS, KEY_FALLBACK].join(", ")}): ` +
      "install Vagrant with `apt-get install vagrant vagrant-libvirt`",
  );
}

async function imageExists(ref: string): Promise<boolean> {
  return (await docker(["image", "inspect", "--format", "{{.Id}}", ref], { check: false })).exitCode === 0;
}

export async function registeredBoxes(): Promise<string[]> {
  const listed = await runLocal("vagrant", ["box", "list", "--machine-readable"], { timeoutMs: 60_000 });
  return listed.stdout.split("\n").flatMap((line) => {
    const [, , kind, name] = line.split(",");
    return kind === "box-name" && name !== undefined ? [name] : [];
  });
}

/** What a box's disk is made of: a container's filesystem, and an engine directory for its /var/lib/docker. */
export interface DiskSource {
  /** A container (running or not) whose `docker export` is the root filesystem. */
  readonly container: string;
  /** A volume holding a stopped engine's /var/lib/docker, put on the disk as it is. */
  readonly engineVolume?: string;
  /** Paths (relative to the root) that are the container's, not the VM's, removed from the disk. */
  readonly remove?: readonly string[];
}

/**
 * The VM's disk, without loop devices, mounts or privileges: the container's filesystem, exported, is
 * piped into assemble-disk.sh running in a container of the box image (it has mkfs.ext4 and GRUB),
 * which writes the raw disk into `dir`. An engine volume is mounted where the disk's /var/lib/docker
 * is read from (CAP_SYS_ADMIN to read its overlay xattrs). The assembler carries the owner label, so
 * `clean` removes it if this process dies.
 */
async function assembleDisk(boxImage: string, source: DiskSource, dir: string): Promise<string> {
  const assembler = `sattva-chaos-box-assemble-${process.pid}-${Date.now().toString(36)}`;
  const labels = labelArgs({ [Label.managed]: "true", [Label.owner]: currentOwner() });
  const remove = async () => {
    await docker(["rm", "-f", assembler], { check: false, timeoutMs: 60_000 });
  };
  const unregister = teardownOnSignal(remove);
  try {
    const engine =
      source.engineVolume === undefined
        ? []
        : ["--cap-add", "SYS_ADMIN", "-v", `${source.engineVolume}:${ASSEMBLY_ROOT}/var/lib/docker`];
    const run = [
      ...["run", "--rm", "-i", "--network", "none", "--name", assembler, ...labels, ...engine],
      ...["-e", `ROOTFS=${ASSEMBLY_ROOT}`, "-v", `${dir}:/out`],
      ...["-v", `${path.join(RECIPE_DIR, "assemble-disk.sh")}:/assemble-disk.sh:ro`],
      ...[boxImage, "bash", "/assemble-disk.sh", "/out/disk.raw", String(DISK_GIB), ...(source.remove ?? [])],
    ];
    await runLocal(
      "bash",
      ["-c", 'set -o pipefail; docker export "$1" | docker "${@:2}"', "bash", source.container, ...run],
      {
        display: `docker export ${source.container} | docker run … ${boxImage} bash /assemble-disk.sh`,
        timeoutMs: 20 * 60_000,
      },
    );
    return path.join(dir, "disk.raw");
  } finally {
    unregister();
    await remove();
  }
}

/** The box's root filesystem image, its recipe hash, and what it is built from. */
async function boxRecipe() {
  const key = await vagrantInsecureKey();
  const base = await debianBase("");
  const hash = await recipeHash(RECIPE_DIR, {
    buildArgs: { BASE: base.ref, MIRROR: base.mirror },
    key,
    diskGiB: DISK_GIB,
    procedure: BOX_PROCEDURE,
  });
  return { image: `sattva-chaos/vagrant-box:${hash}`, hash, key, base };
}

/**
 * The root filesystem of the offline Debian 12 box, as an image built (once) from fixtures/vagrant-box/
 * on the debootstrap base the image builder uses; `hash` is its recipe's (with the insecure key it
 * authorizes and the disk's layout).
 */
export async function ensureBoxImage(
  progress: (line: string) => void = () => undefined,
): Promise<{ readonly image: string; readonly hash: string }> {
  const { image, hash, key, base } = await boxRecipe();
  if (await imageExists(image)) return { image, hash };
  await assertDockerRunning();
  if (!(await imageExists(base.ref))) {
    progress(`box: building the base ${base.ref} (debootstrap ${base.mirror})…`);
    await keepLogOnFailure("base", () => buildDebianBase(base));
  }
  const started = performance.now();
  progress(`box: building the root filesystem ${image}…`);
  await withTempDir("box-context", async (context) => {
    await cp(RECIPE_DIR, context, { recursive: true });
    await writeFile(path.join(context, "vagrant.pub"), key);
    const labels = labelArgs({ [Label.managed]: "true", [Label.recipe]: hash });
    await keepLogOnFailure("vagrant-box", () =>
      docker(
        [
          ...["build", "--tag", image, ...labels],
          ...["--build-arg", `BASE=${base.ref}`, "--build-arg", `MIRROR=${base.mirror}`, context],
        ],
        { timeoutMs: 30 * 60_000, env: { DOCKER_BUILDKIT: "0" } },
      ),
    );
  });
  progress(`box: root filesystem built in ${secondsSince(started)}`);
  return { image, hash };
}

/**
 * Writes the .box `file` (beside it, then renamed: a crash leaves no half box) from `source`, assembled
 * by `boxImage`: a raw disk, converted to qcow2, packed with its metadata and Vagrantfile.
 */
export async function writeBox(
  boxImage: string,
  source: DiskSource,
  file: string,
  progress: (line: string) => void,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await withTempDir("box", async (dir) => {
    let started = performance.now();
    const raw = await assembleDisk(boxImage, source, dir);
    progress(`box: ${DISK_GIB} GiB raw disk (ext4, GRUB) assembled in ${secondsSince(started)}`);
    started = performance.now();
    await runLocal("qemu-img", ["convert", "-O", "qcow2", raw, path.join(dir, "box.img")], {
      timeoutMs: 10 * 60_000,
    });
    await rm(raw);
    progress(`box: converted to qcow2 in ${secondsSince(started)}`);
    started = performance.now();
    const metadata = { provider: "libvirt", format: "qcow2", virtual_size: DISK_GIB };
    await writeFile(path.join(dir, "metadata.json"), `${JSON.stringify(metadata)}\n`);
    await cp(path.join(RECIPE_DIR, "Vagrantfile"), path.join(dir, "Vagrantfile"));
    const partial = `${file}.partial-${process.pid}`;
    try {
      // Uncompressed: vagrant-libvirt reads box.img straight out of it.
      await runLocal("tar", ["-cf", partial, "-C", dir, "metadata.json", "Vagrantfile", "box.img"], {
        timeoutMs: 10 * 60_000,
      });
      await rename(partial, file);
    } finally {
      await rm(partial, { force: true });
    }
    progress(`box: packed ${file} in ${secondsSince(started)}`);
  });
}

/** Removes a box registered with Vagrant (every version of it); false if there was none. */
export async function removeBox(name: string): Promise<boolean> {
  const removed = await runLocal("vagrant", ["box", "remove", "--force", "--all", name], {
    timeoutMs: 5 * 60_000,
    check: false,
  });
  return removed.exitCode === 0;
}

/** Registers the .box `file` with Vagrant as `name`, unless it is already. */
export async function registerBox(
  name: string,
  file: string,
  progress: (line: string) => void,
): Promise<void> {
  if ((await registeredBoxes()).includes(name)) {
    progress(`box: ${name} registered with Vagrant`);
    return;
  }
  const started = performance.now();
  const added = await runLocal("vagrant", ["box", "add", "--name", name, file], {
    timeoutMs: 10 * 60_000,
    check: false,
  });
  // Another run may have registered it meanwhile: that is as good.
  if (added.exitCode !== 0 && !(await registeredBoxes()).includes(name)) throw new CommandError(added);
  progress(`box: ${name} registered with Vagrant in ${secondsSince(started)}`);
}

/**
 * The offline Debian 12 box for vagrant-libvirt, registered with Vagrant: the disk of its root
 * filesystem image (ensureBoxImage), cached by that image's recipe hash, so an unchanged recipe costs a
 * `vagrant box list`.
 */
/** The box of the current recipe: its name in Vagrant and its file, made or not. */
export async function currentBox(): Promise<Required<Box>> {
  const { hash } = await boxRecipe();
  return { name: `sattva-chaos/debian-12-${hash}`, file: path.join(boxesDir(), `debian-12-${hash}.box`) };
}

export async function ensureBox(progress: (line: string) => void = () => undefined): Promise<Required<Box>> {
  const { name, file } = await currentBox();
  if (await exists(file)) {
    progress(`box: ${file} cached`);
  } else {
    const started = performance.now();
    const { image } = await ensureBoxImage(progress);
    await withContainerOf(image, (container) => writeBox(image, { container }, file, progress));
    progress(`box: ${name} built in ${secondsSince(started)}`);
  }
  await registerBox(name, file, progress);
  return { name, file };
}

/**
 * Runs `work` with a container of `image` that never runs (for `docker export`), removed after; it
 * carries the owner label, so `clean` removes it if this process dies first.
 */
async function withContainerOf<T>(image: string, work: (container: string) => Promise<T>): Promise<T> {
  const container = `sattva-chaos-box-source-${process.pid}-${Date.now().toString(36)}`;
  const remove = async () => {
    await docker(["rm", "-f", container], { check: false, timeoutMs: 60_000 });
  };
  const unregister = teardownOnSignal(remove);
  try {
    const labels = labelArgs({ [Label.managed]: "true", [Label.owner]: currentOwner() });
    await docker(["create", "--name", container, ...labels, image], { timeoutMs: 60_000 });
    return await work(container);
  } finally {
    unregister();
    await remove();
  }
}
