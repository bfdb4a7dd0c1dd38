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
const BOX_PROCEDURE = 1;

/**
 * Where Vagrant packages keep its well-known insecure public key (Debian's and HashiCorp's); the box
 * authorizes the installed copy rather than one pasted into this repository.
 */
const KEY_DIRS = ["/usr/share/rubygems-integration/all/gems", "/opt/vagrant/embedded/gems/gems"];
const KEY_FALLBACK = "/usr/lib/ruby/vendor_ruby/vagrant/keys/vagrant.pub";

export interface Box {
  /** The name `vagrant box add` registered it under, for `config.vm.box`. */
  readonly name: string;
  /** The .box file in the cache. */
  readonly file: string;
}

function boxesDir(): string {
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

async function registeredBoxes(): Promise<string[]> {
  const listed = await runLocal("vagrant", ["box", "list", "--machine-readable"], { timeoutMs: 60_000 });
  return listed.stdout.split("\n").flatMap((line) => {
    const [, , kind, name] = line.split(",");
    return kind === "box-name" && name !== undefined ? [name] : [];
  });
}

/**
 * The VM's disk, without loop devices, mounts or privileges: the image's filesystem, exported from a
 * container that never runs, is piped into assemble-disk.sh running in a second container of the same
 * image (it has mkfs.ext4 and GRUB), which writes the raw disk into `dir`. Both containers carry the
 * owner label, so `clean` removes them if this process dies before its `finally`.
 */
async function assembleDisk(image: string, dir: string): Promise<string> {
  const suffix = `${process.pid}-${Date.now().toString(36)}`;
  const source = `sattva-chaos-box-source-${suffix}`;
  const assembler = `sattva-chaos-box-assemble-${suffix}`;
  const labels = labelArgs({ [Label.managed]: "true", [Label.owner]: currentOwner() });
  const remove = async () => {
    await docker(["rm", "-f", source, assembler], { check: false, timeoutMs: 60_000 });
  };
  const unregister = teardownOnSignal(remove);
  try {
    await docker(["create", "--name", source, ...labels, image], { timeoutMs: 60_000 });
    const run = [
      ...["run", "--rm", "-i", "--network", "none", "--name", assembler, ...labels],
      ...["-v", `${dir}:/out`, "-v", `${path.join(RECIPE_DIR, "assemble-disk.sh")}:/assemble-disk.sh:ro`],
      ...[image, "bash", "/assemble-disk.sh", "/out/disk.raw", String(DISK_GIB)],
    ];
    await runLocal(
      "bash",
      ["-c", 'set -o pipefail; docker export "$1" | docker "${@:2}"', "bash", source, ...run],
      {
        display: `docker export ${source} | docker run … ${image} bash /assemble-disk.sh`,
        timeoutMs: 20 * 60_000,
      },
    );
    return path.join(dir, "disk.raw");
  } finally {
    unregister();
    await remove();
  }
}

/** Builds the .box into `file` (written beside it, then renamed: a crash leaves no half box). */
async function buildBox(
  hash: string,
  rootfs: { readonly base: string; readonly mirror: string; readonly key: string },
  file: string,
  progress: (line: string) => void,
): Promise<void> {
  const image = `sattva-chaos/vagrant-box:${hash}`;
  let started = performance.now();
  if (await imageExists(image)) {
    progress(`box: root filesystem ${image} cached`);
  } else {
    progress(`box: building the root filesystem ${image}…`);
    await withTempDir("box-context", async (context) => {
      await cp(RECIPE_DIR, context, { recursive: true });
      await writeFile(path.join(context, "vagrant.pub"), rootfs.key);
      const labels = labelArgs({ [Label.managed]: "true", [Label.recipe]: hash });
      await keepLogOnFailure("vagrant-box", () =>
        docker(
          [
            ...["build", "--tag", image, ...labels],
            ...["--build-arg", `BASE=${rootfs.base}`, "--build-arg", `MIRROR=${rootfs.mirror}`, context],
          ],
          { timeoutMs: 30 * 60_000, env: { DOCKER_BUILDKIT: "0" } },
        ),
      );
    });
    progress(`box: root filesystem built in ${secondsSince(started)}`);
  }
  await withTempDir("box", async (dir) => {
    started = performance.now();
    const raw = await assembleDisk(image, dir);
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

/**
 * The offline Debian 12 box for vagrant-libvirt, registered with Vagrant. Built once from
 * fixtures/vagrant-box/ on the debootstrap base the image builder uses, and cached by the hash of
 * everything it is made from, so an unchanged recipe costs a `vagrant box list`.
 */
export async function ensureBox(progress: (line: string) => void = () => undefined): Promise<Box> {
  const key = await vagrantInsecureKey();
  const base = await debianBase("");
  const hash = await recipeHash(RECIPE_DIR, {
    buildArgs: { BASE: base.ref, MIRROR: base.mirror },
    key,
    diskGiB: DISK_GIB,
    procedure: BOX_PROCEDURE,
  });
  const name = `sattva-chaos/debian-12-${hash}`;
  const file = path.join(boxesDir(), `debian-12-${hash}.box`);

  if (await exists(file)) {
    progress(`box: ${file} cached`);
  } else {
    const started = performance.now();
    await assertDockerRunning();
    if (!(await imageExists(base.ref))) {
      progress(`box: building the base ${base.ref} (debootstrap ${base.mirror})…`);
      await keepLogOnFailure("base", () => buildDebianBase(base));
    }
    await mkdir(boxesDir(), { recursive: true });
    await buildBox(hash, { base: base.ref, mirror: base.mirror, key }, file, progress);
    progress(`box: ${name} built in ${secondsSince(started)}`);
  }

  if ((await registeredBoxes()).includes(name)) {
    progress(`box: ${name} registered with Vagrant`);
  } else {
    const started = performance.now();
    const added = await runLocal("vagrant", ["box", "add", "--name", name, file], {
      timeoutMs: 10 * 60_000,
      check: false,
    });
    // Another run may have registered it meanwhile: that is as good.
    if (added.exitCode !== 0 && !(await registeredBoxes()).includes(name)) throw new CommandError(added);
    progress(`box: ${name} registered with Vagrant in ${secondsSince(started)}`);
  }
  return { name, file };
}
