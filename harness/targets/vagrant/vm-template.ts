import { createHash } from "node:crypto";
import { cp, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { docker } from "../../docker/docker-cli.ts";
import { Label, labelArgs } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import type { ResolvedImage } from "../../images/image-builder.ts";
import { keepLogOnFailure } from "../../images/image-builder.ts";
import { recipeHash } from "../../images/recipe-hash.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { withFileLock } from "../../lifecycle/file-lock.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { ContainerTarget } from "../container/container-target.ts";
import { holdAtNextBoot } from "../held-units.ts";
import type { HostProvisioning } from "../target.ts";
import {
  boxesDir,
  ensureBoxImage,
  registerBox,
  registeredBoxes,
  removeBox,
  writeBox,
  type Box,
} from "./box.ts";

/** The box's root filesystem booted as a container host (see its Dockerfile). */
const BUILDER_RECIPE = fileURLToPath(new URL("../../../fixtures/vagrant-box-host/", import.meta.url));
const CONTAINER_INIT = fileURLToPath(
  new URL("../../../fixtures/images/host/container-init", import.meta.url),
);
/** Bump when the way a template is made changes, so templates made the old way are rebuilt. */
const PROCEDURE = 1;
/** Boxes a template is registered as: `sattva-chaos/vm-template-<key>`. */
const TEMPLATE_BOX = "sattva-chaos/vm-template-";
/** Templates kept on this machine (each a few GB), the ones used last. */
const KEPT = 2;
/**
 * Paths of the builder container that are not the VM's: its init, and the inner engine's config the
 * container target writes (this machine's resolver; a VM resolves through its own network).
 */
const CONTAINER_ONLY = ["usr/local/sbin/container-init", "etc/docker/daemon.json"];

export interface VmTemplateOptions {
  /** The service images the template's engine holds. */
  readonly images: readonly ResolvedImage[];
  readonly provisioning: HostProvisioning;
  readonly progress?: (line: string) => void;
}

/** A VM template on this machine, for `images list`. */
export interface VmTemplateListing {
  readonly key: string;
  /** The box it is registered as. */
  readonly box: string;
}

/**
 * A VM's starting state kept on this machine: the local Debian 12 box with the service images loaded
 * and the stack provisioned, registered with Vagrant as a box of its own. A VM from it goes from
 * `vagrant up` to the documented start without loading 1.6 GB through SSH or provisioning under
 * emulation (minutes each). It is built without emulation: the box's root filesystem boots as a
 * container host (fixtures/vagrant-box-host), is provisioned like every host, and its filesystem and
 * stopped engine are assembled into the box's disk. A VM from it makes its own identity at first boot
 * (machine id, host keys, engine id and networks) and holds the units the runbook starts by hand until
 * the harness lets them go (the box's generator), as a copy of a container template does. The key is
 * content (the box's recipe, the builder's, every service image by id, every byte provisioning reads),
 * so a change to any of them makes a new template. `images list` shows them; `clean --all` removes them.
 */
export async function ensureVmTemplate(options: VmTemplateOptions): Promise<Box> {
  const progress = options.progress ?? (() => undefined);
  const box = await ensureBoxImage(progress);
  const builder = await ensureBuilderImage(box.image, progress);
  const refs = options.images.flatMap((image) => (image.ref === undefined ? [] : [image.ref])).sort();
  const ids =
    refs.length === 0 ? "" : (await docker(["image", "inspect", "--format", "{{.Id}}", ...refs])).stdout;
  const key = createHash("sha256")
    .update(JSON.stringify({ box: box.hash, builder, refs, ids, stack: options.provisioning.key, PROCEDURE }))
    .digest("hex")
    .slice(0, 12);
  const name = `${TEMPLATE_BOX}${key}`;
  const title = `vm template ${key}`;
  return withFileLock(
    cacheDir("templates", `vm-${key}.lock`),
    async () => {
      await writeFile(usedFile(key), "");
      if ((await registeredBoxes()).includes(name)) {
        progress(`${title}: box ${name} registered`);
        return { name };
      }
      const started = performance.now();
      progress(
        `${title}: none for this stack yet; the box is provisioned as a container host, then made a disk`,
      );
      const file = path.join(boxesDir(), `vm-template-${key}.box`);
      try {
        await buildTemplateBox(box.image, builder, options, file, progress);
        await registerBox(name, file, progress);
      } finally {
        // Registered, Vagrant keeps its own copy: the .box file would be a second one.
        await rm(file, { force: true });
      }
      progress(`${title}: built in ${secondsSince(started)}`);
      await pruneVmTemplates(name);
      return { name };
    },
    {
      onWait: (holder) => {
        progress(`${title}: process ${holder} is building it; waiting`);
      },
    },
  );
}

/**
 * Provisions the box's root filesystem as a container host (its images loaded, the stack provisioned,
 * its engine stopped, the held units listed for the VM's first boot) and writes it as a .box.
 */
async function buildTemplateBox(
  boxImage: string,
  builderImage: string,
  options: VmTemplateOptions,
  file: string,
  progress: (line: string) => void,
): Promise<void> {
  const host = await new ContainerTarget({ hostImage: builderImage }).start({
    images: options.images,
    provisioning: options.provisioning,
    // One host, once per template: a container template of it would only take disk.
    templates: false,
    ports: [],
    progress,
  });
  try {
    await holdAtNextBoot(host, options.provisioning.heldUnits);
    await host.run("systemctl stop docker.socket docker.service containerd.service");
    await docker(["stop", "--time", "30", host.name], { timeoutMs: 120_000 });
    await writeBox(
      boxImage,
      { container: host.name, engineVolume: `${host.name}-docker`, remove: CONTAINER_ONLY },
      file,
      progress,
    );
  } finally {
    await host.dispose();
  }
}

/** The builder image (the box's filesystem as a container host), built once per box and recipe. */
async function ensureBuilderImage(boxImage: string, progress: (line: string) => void): Promise<string> {
  const hash = await recipeHash(BUILDER_RECIPE, {
    box: boxImage,
    init: await readFile(CONTAINER_INIT, "utf8"),
  });
  const image = `sattva-chaos/vagrant-box-host:${hash}`;
  if ((await docker(["image", "inspect", image], { check: false })).exitCode === 0) return image;
  const started = performance.now();
  progress(`box: building ${image} (the box's filesystem as a container host)…`);
  await withTempDir("box-host-context", async (context) => {
    await cp(BUILDER_RECIPE, context, { recursive: true });
    await cp(CONTAINER_INIT, path.join(context, "container-init"));
    await keepLogOnFailure("vagrant-box-host", () =>
      docker(
        [
          ...["build", "--tag", image, ...labelArgs({ [Label.managed]: "true", [Label.recipe]: hash })],
          ...["--build-arg", `BOX=${boxImage}`, context],
        ],
        { timeoutMs: 10 * 60_000, env: { DOCKER_BUILDKIT: "0" } },
      ),
    );
  });
  progress(`box: ${image} built in ${secondsSince(started)}`);
  return image;
}

function usedFile(key: string): string {
  return cacheDir("templates", `vm-${key}.used`);
}

/** The VM templates registered with Vagrant on this machine (none where Vagrant is not installed). */
export async function listVmTemplates(): Promise<VmTemplateListing[]> {
  const boxes = await registeredBoxes().catch(() => []);
  return boxes
    .filter((box) => box.startsWith(TEMPLATE_BOX))
    .map((box) => ({ key: box.slice(TEMPLATE_BOX.length), box }));
}

/** Removes VM templates, and what records their last use; returns the boxes removed. */
export async function removeVmTemplates(templates: readonly VmTemplateListing[]): Promise<string[]> {
  const removed: string[] = [];
  for (const template of templates) {
    if (await removeBox(template.box)) removed.push(template.box);
    await rm(usedFile(template.key), { force: true });
  }
  return removed;
}

/** Keeps the KEPT templates used last (`name`, just made, among them) and removes the others. */
async function pruneVmTemplates(name: string): Promise<void> {
  const others = (await listVmTemplates()).filter((template) => template.box !== name);
  const used = await Promise.all(
    others.map(async (template) => ({
      template,
      at: await stat(usedFile(template.key)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    })),
  );
  const stale = used.sort((a, b) => b.at - a.at).slice(KEPT - 1);
  await removeVmTemplates(stale.map(({ template }) => template));
}
