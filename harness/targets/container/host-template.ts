import { createHash } from "node:crypto";
import { rm, stat, writeFile } from "node:fs/promises";
import { docker } from "../../docker/docker-cli.ts";
import { Label, labelArgs, TEMPLATE_IMAGE } from "../../docker/labels.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { lockHeld, withFileLock } from "../../lifecycle/file-lock.ts";

/** Written into a template as its last step: a template without it was never finished (or was damaged). */
const MARKER = ".sattva-chaos-template";

/**
 * Read by the host image's container-init (fixtures/images/host): its presence makes the first boot of
 * a copy make its own identity. Only ever in a template's image.
 */
export const FIRST_BOOT_FILE = "/etc/sattva-chaos-first-boot";

/** Templates kept on this machine per kind (mostly hard links to one another, see `#copy`). */
const KEPT_TEMPLATES = { engine: 3, provisioned: 4 } as const;
/** A template used this recently may still be being copied into a host: pruning leaves it. */
const RECENTLY_USED_MS = 15 * 60_000;

/** How a helper container reaches a template's content and a host's engine directory. */
const AT = { template: "/template", engine: "/engine", volumes: "/volumes" } as const;

/**
 * Copies one engine directory into another. Image layers (`overlay2/<id>/diff`) are hard-linked when
 * `link`: they are never written in place (overlayfs copies a file up into the container's own
 * layer, the engine writes new layers), so sharing them is safe and takes a second instead of copying
 * a gigabyte. Everything else (bolt databases written in place, the engine's JSON state) is copied,
 * owners, modes, device nodes (overlay whiteouts) and xattrs (opaque directories) kept.
 */
function copyEngine(from: string, to: string, link: boolean): string {
  if (!link) return `cp -a ${from}/. ${to}/`;
  const tar = "tar --numeric-owner --xattrs --xattrs-include='*'";
  return (
    `${tar} -C ${from} --exclude='./overlay2/*/diff' -cf - . | ${tar} -C ${to} -xpf - && ` +
    `for diff in ${from}/overlay2/*/diff; do [ -d "$diff" ] || continue; ` +
    `cp -al "$diff" "${to}/\${diff#${from}/}" || exit 1; done`
  );
}

/**
 * The mounts and paths a helper uses to copy volume `from` into volume `to`. Two volumes mounted
 * apart are two mounts, and a hard link never crosses mounts: when both live in the engine's own
 * volumes directory (the local driver), that directory is mounted once instead.
 */
async function copyMounts(
  from: string,
  to: string,
): Promise<{ args: string[]; from: string; to: string; link: boolean }> {
  const inspected = await docker(["volume", "inspect", "--format", "{{.Driver}} {{.Mountpoint}}", from, to]);
  const [source, target] = inspected.stdout
    .trim()
    .split("\n")
    .map((line) => line.split(" "));
  const volumesDir = (mountpoint: string | undefined) => mountpoint?.replace(/\/[^/]+\/_data$/, "");
  const root = volumesDir(source?.[1]);
  if (
    source?.[0] === "local" &&
    target?.[0] === "local" &&
    root !== undefined &&
    root === volumesDir(target[1])
  )
    return {
      args: ["-v", `${root}:${AT.volumes}`],
      from: `${AT.volumes}/${from}/_data`,
      to: `${AT.volumes}/${to}/_data`,
      link: true,
    };
  return {
    args: ["-v", `${from}:${AT.template}`, "-v", `${to}:${AT.engine}`],
    from: AT.template,
    to: AT.engine,
    link: false,
  };
}

/** A short-lived container running `script` in `image`; CAP_SYS_ADMIN to read and write trusted.* xattrs. */
function helper(image: string, args: readonly string[], script: string) {
  return docker(
    [
      "run",
      "--rm",
      "--cap-add",
      "SYS_ADMIN",
      "--network",
      "none",
      ...args,
      "--entrypoint",
      "sh",
      image,
      "-c",
      script,
    ],
    { check: false, timeoutMs: 10 * 60_000 },
  );
}

/**
 * Copies the engine directory in volume `from` (its engine stopped: a copy of a running engine's
 * databases could be torn) into volume `to`, in a helper container of `helperImage` carrying `labels`
 * (a host's: the helper goes with it if this process dies). `around` wraps the copy in shell: given
 * the two paths as the helper sees them, it returns what runs before and after it; a `before` that
 * exits 42 refuses the copy.
 */
export async function copyEngineVolume(
  helperImage: string,
  from: string,
  to: string,
  labels: Record<string, string>,
  around: (paths: { from: string; to: string }) => { before?: string; after?: string } = () => ({}),
): Promise<{ exitCode: number; stderr: string }> {
  const mounts = await copyMounts(from, to);
  const { before, after } = around(mounts);
  const script = [before, copyEngine(mounts.from, mounts.to, mounts.link), after]
    .filter((part) => part !== undefined)
    .join(" && ");
  return helper(helperImage, [...mounts.args, ...labelArgs(labels)], script);
}

export type TemplateKind = "engine" | "provisioned";

/** A template on this machine, for `images list`. */
export interface TemplateListing {
  readonly key: string;
  readonly kind: TemplateKind;
  /** A provisioned template's family (see HostProvisioning.family), with its engine's key. */
  readonly family?: string;
  readonly volume: string;
  readonly createdAt: string;
}

/**
 * A host's starting state, kept on this machine so later hosts skip what the first one did:
 * - an **engine** template: /var/lib/docker with the service images loaded (loading 7 images with
 *   `docker save | docker load` is most of a bare host's boot, 20–40 s here);
 * - a **provisioned** template: that engine plus the root filesystem of a host with the stack
 *   provisioned (users, venvs, units, env files), committed as an image the next host boots from.
 * The key is the content that went in (the host image and every service image by id; for a
 * provisioned one, also every byte provisioning reads), so a template is never used for a stack or
 * images it was not made from. Kept like the image cache: `images list` shows them, `clean --all`
 * removes them.
 */
export class HostTemplate {
  readonly key: string;
  readonly kind: TemplateKind;
  readonly volume: string;
  readonly family: string | undefined;
  /** The root filesystem hosts boot from: the committed host for a provisioned template. */
  readonly image: string;
  /** The image the helper containers run (the host image: it has tar, cp and sh). */
  readonly #helperImage: string;

  private constructor(key: string, kind: TemplateKind, helperImage: string, family?: string) {
    this.key = key;
    this.kind = kind;
    this.family = family;
    this.volume = `sattva-chaos-template-${key}`;
    this.image = kind === "provisioned" ? `${TEMPLATE_IMAGE}:${key}` : helperImage;
    this.#helperImage = helperImage;
  }

  /** The engine template of a host image with these service images loaded. */
  static async engine(hostImage: string, refs: readonly string[]): Promise<HostTemplate> {
    const sorted = [...refs].sort();
    const ids = await docker(["image", "inspect", "--format", "{{.Id}}", hostImage, ...sorted]);
    return new HostTemplate(keyOf([hostImage, ...sorted].join("\n"), ids.stdout), "engine", hostImage);
  }

  /** The template of a host from this engine template with a stack provisioned (by content key). */
  provisioned(provisioning: { readonly key: string; readonly family: string }): HostTemplate {
    return new HostTemplate(
      keyOf(this.key, provisioning.key),
      "provisioned",
      this.#helperImage,
      keyOf(this.key, provisioning.family),
    );
  }

  /**
   * A finished provisioned template of the same family, used last: a host started from it and
   * provisioned again (only the checkout's files differ) is this template's state in seconds.
   */
  async relative(): Promise<HostTemplate | undefined> {
    if (this.family === undefined) return undefined;
    const kin = (await HostTemplate.list()).filter(
      (other) => other.family === this.family && other.key !== this.key,
    );
    for (const other of await lastUsedFirst(kin)) {
      const template = new HostTemplate(other.key, "provisioned", this.#helperImage, this.family);
      if ((await template.#state()) === "finished") return template;
    }
    return undefined;
  }

  /** What progress lines call it. */
  get title(): string {
    return `${this.kind === "engine" ? "engine" : "provisioned-host"} template ${this.key}`;
  }

  /** Every template on this machine. */
  static async list(): Promise<TemplateListing[]> {
    const names = (await docker(["volume", "ls", "-q", "--filter", `label=${Label.template}`])).stdout
      .split("\n")
      .filter((name) => name !== "");
    if (names.length === 0) return [];
    // One inspect for all of them: `volume ls` does not show when a volume was made.
    const inspected = await docker(
      [
        "volume",
        "inspect",
        "--format",
        `{{.Name}}\t{{index .Labels "${Label.template}"}}\t{{index .Labels "${Label.templateKind}"}}\t{{.CreatedAt}}\t{{index .Labels "${Label.templateFamily}"}}`,
        ...names,
      ],
      { check: false },
    );
    return inspected.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [volume = "", key = "", kind = "", createdAt = "", family = ""] = line.split("\t");
        return {
          key,
          kind: kind === "provisioned" ? "provisioned" : "engine",
          volume,
          createdAt,
          ...(family === "" ? {} : { family }),
        };
      });
  }

  /**
   * Makes sure the template is finished, running `build` when it is missing, unfinished (a build that
   * died) or damaged. `build` fills the volume it is given with a stopped engine's directory (see
   * `captureEngine`) and, for a provisioned template, commits `image`; what it returns is passed on.
   * One process builds at a time; the others wait and use its template.
   */
  async ensure<T>(
    build: (volume: string) => Promise<T>,
    progress: (line: string) => void,
  ): Promise<{ readonly built: false } | { readonly built: true; readonly value: T }> {
    return withFileLock(
      buildLock(this.key),
      async () => {
        const state = await this.#state();
        if (state === "finished") {
          await markUsed(this.key);
          return { built: false } as const;
        }
        if (state === "unfinished") {
          progress(`${this.title}: unfinished or damaged (no ${MARKER} with its key); rebuilding it`);
          await this.remove();
        }
        await docker(["volume", "create", ...labelArgs(this.#labels()), this.volume]);
        let value: T;
        try {
          value = await build(this.volume);
          const marked = await this.#helper(`echo ${this.key} > ${AT.template}/${MARKER} && sync`, "rw");
          if (marked.exitCode !== 0) throw new Error(`finishing ${this.title}: ${marked.stderr.trim()}`);
        } catch (error) {
          await this.remove();
          throw error;
        }
        // Used now: a run pruning at this moment keeps it (it was created a build ago).
        await markUsed(this.key);
        await this.#pruneOthers();
        return { built: true, value } as const;
      },
      {
        onWait: (holder) => {
          progress(`${this.title}: process ${holder} is building it; waiting`);
        },
      },
    );
  }

  /**
   * Copies an engine's directory (a volume whose engine is stopped) into this template's volume.
   * `labels` are the source host's: the helper container is removed with it if this process dies.
   */
  async captureEngine(from: string, labels: Record<string, string>): Promise<void> {
    const copied = await copyEngineVolume(this.#helperImage, from, this.volume, labels);
    if (copied.exitCode !== 0)
      throw new Error(`copying ${from} into ${this.title} failed: ${copied.stderr.trim()}`);
  }

  /**
   * Copies the template's engine into a host's (new, empty) engine volume, refusing a template that
   * is not finished. `labels` are the host's: the helper container is removed with it if this process dies.
   */
  async cloneInto(volume: string, labels: Record<string, string>): Promise<void> {
    const copied = await copyEngineVolume(this.#helperImage, this.volume, volume, labels, (at) => ({
      before: `{ test "$(cat ${at.from}/${MARKER} 2>/dev/null)" = ${this.key} || exit 42; }`,
      // The engine's id (newer Docker keeps it here) and its networks' ids are the host's own, made at
      // its engine's first start.
      after: `rm -f ${at.to}/${MARKER} ${at.to}/engine-id ${at.to}/network/files/local-kv.db`,
    }));
    // Gone before the copy began, or while it ran (another run removed it): the host builds it anew.
    if (copied.exitCode === 42 || (copied.exitCode !== 0 && (await this.#state()) !== "finished"))
      throw new TemplateGoneError(this.title, this.volume);
    if (copied.exitCode !== 0)
      throw new Error(`copying ${this.title} into ${volume} failed: ${copied.stderr.trim()}`);
  }

  /** Removes the template (a damaged one is rebuilt by the next host). */
  async remove(): Promise<void> {
    await docker(["volume", "rm", "-f", this.volume], { check: false });
    if (this.kind === "provisioned") await docker(["image", "rm", "-f", this.image], { check: false });
    await rm(usedFile(this.key), { force: true });
  }

  #labels(): Record<string, string> {
    // Kept (like the image cache) until `clean --all`; no owner, so no `clean` takes it for a crashed run's.
    return {
      [Label.managed]: "true",
      [Label.keep]: "true",
      [Label.template]: this.key,
      [Label.templateKind]: this.kind,
      ...(this.family === undefined ? {} : { [Label.templateFamily]: this.family }),
    };
  }

  async #state(): Promise<"absent" | "unfinished" | "finished"> {
    if ((await docker(["volume", "inspect", this.volume], { check: false })).exitCode !== 0) return "absent";
    const marker = await this.#helper(`cat ${AT.template}/${MARKER} 2>/dev/null || true`, "ro");
    if (marker.stdout.trim() !== this.key) return "unfinished";
    if (this.kind === "engine") return "finished";
    const image = await docker(["image", "inspect", this.image], { check: false });
    return image.exitCode === 0 ? "finished" : "unfinished";
  }

  /** A short-lived container with the template mounted at AT.template. */
  #helper(script: string, access: "ro" | "rw") {
    return helper(this.#helperImage, ["-v", `${this.volume}:${AT.template}:${access}`], script);
  }

  /**
   * Keeps the few templates of this kind used last (one per image set or stack in use: the suite's,
   * a test's, a broken copy's) and removes the rest; one still being copied from stays (rm refuses a
   * volume in use).
   */
  async #pruneOthers(): Promise<void> {
    const others = (await HostTemplate.list()).filter(
      (other) => other.kind === this.kind && other.volume !== this.volume,
    );
    for (const old of (await lastUsedFirst(others)).slice(KEPT_TEMPLATES[this.kind] - 1)) {
      // One a concurrent run is building, or used a moment ago (a host may be copying it: the copy
      // mounts the volumes' directory, not the volume, so `volume rm` would not refuse), is not stale.
      if (await lockHeld(buildLock(old.key))) continue;
      if (Date.now() - (await lastUsed(old)) < RECENTLY_USED_MS) continue;
      const removed = await docker(["volume", "rm", old.volume], { check: false });
      if (removed.exitCode === 0) await new HostTemplate(old.key, old.kind, this.#helperImage).remove();
    }
  }
}

/**
 * A template found finished, then gone (or unfinished) by the time a host copied it: another run
 * pruned or rebuilt it in between. The host is started again, which builds it anew.
 */
export class TemplateGoneError extends Error {
  override readonly name = "TemplateGoneError";
  constructor(title: string, volume: string) {
    super(`${title} (volume ${volume}) was removed or is unfinished while this host copied it`);
  }
}

/** The lock one process holds while it builds a template (the others wait, and pruning spares it). */
function buildLock(key: string): string {
  return cacheDir("templates", `${key}.lock`);
}

/** Where the last use of a template is kept: pruning keeps the templates in use, not the newest. */
function usedFile(key: string): string {
  return cacheDir("templates", `${key}.used`);
}

async function markUsed(key: string): Promise<void> {
  await writeFile(usedFile(key), "");
}

/** When a template was last used (ms since the epoch), or made if it never was. */
async function lastUsed(template: TemplateListing): Promise<number> {
  const used = await stat(usedFile(template.key)).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  return Math.max(used, Date.parse(template.createdAt) || 0);
}

/** The templates, the one used last first. */
async function lastUsedFirst(templates: readonly TemplateListing[]): Promise<TemplateListing[]> {
  const used = await Promise.all(templates.map(async (t) => ({ t, at: await lastUsed(t) })));
  return used.sort((a, b) => b.at - a.at).map(({ t }) => t);
}

/** 12 hex digits of the sha256 of the parts. */
function keyOf(...parts: readonly string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part).update("\0");
  return hash.digest("hex").slice(0, 12);
}
