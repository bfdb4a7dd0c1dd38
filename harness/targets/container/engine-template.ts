import { createHash } from "node:crypto";
import { docker } from "../../docker/docker-cli.ts";
import { Label, labelArgs } from "../../docker/labels.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { withFileLock } from "../../lifecycle/file-lock.ts";

/** Written into a template as its last step: a template without it was never finished (or was damaged). */
const MARKER = ".sattva-chaos-template";

/** Templates kept on this machine (about 1 GB each with the 7 service images). */
const KEPT_TEMPLATES = 3;

/** How a helper container reaches a template's content and a host's new engine directory. */
const AT = { template: "/template", engine: "/engine" } as const;

/** What a template holds and when it was made, for `images list`. */
export interface TemplateListing {
  readonly key: string;
  readonly volume: string;
  readonly createdAt: string;
}

/**
 * A host engine's /var/lib/docker with the service images already loaded, kept on this machine as a
 * volume. Loading 7 images with `docker save | docker load` is most of a host's boot (20–40 s here);
 * copying the loaded engine into a new host's volume takes seconds. The key is the content that went
 * in (the host image and every service image, by id), so a rebuilt image gets a new template and a
 * template is never used for images it does not hold. Kept like the image cache: `clean --all` removes it.
 */
export class EngineTemplate {
  readonly key: string;
  readonly volume: string;
  /** The image the helper containers run (the host image: it has cp, cat and sh). */
  readonly #helperImage: string;

  private constructor(key: string, helperImage: string) {
    this.key = key;
    this.volume = `sattva-chaos-template-${key}`;
    this.#helperImage = helperImage;
  }

  /** The template of a host image with these service images loaded into its engine. */
  static async of(hostImage: string, refs: readonly string[]): Promise<EngineTemplate> {
    const sorted = [...refs].sort();
    const ids = await docker(["image", "inspect", "--format", "{{.Id}}", hostImage, ...sorted]);
    const key = createHash("sha256")
      .update([hostImage, ...sorted].join("\n"))
      .update(ids.stdout)
      .digest("hex")
      .slice(0, 12);
    return new EngineTemplate(key, hostImage);
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
        `{{.Name}}\t{{index .Labels "${Label.template}"}}\t{{.CreatedAt}}`,
        ...names,
      ],
      { check: false },
    );
    return inspected.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const [volume = "", key = "", createdAt = ""] = line.split("\t");
        return { key, volume, createdAt };
      });
  }

  /**
   * Makes sure the template is finished, building it with `build` (which fills the volume it is given
   * and stops its engine cleanly) when it is missing, unfinished (a build that died) or damaged.
   * One process builds at a time; the others wait and use its template.
   */
  async ensure(
    build: (volume: string) => Promise<void>,
    progress: (line: string) => void,
  ): Promise<"reused" | "built"> {
    return withFileLock(
      cacheDir("templates", `${this.key}.lock`),
      async () => {
        const state = await this.#state();
        if (state === "finished") return "reused";
        if (state === "unfinished") {
          progress(
            `engine template ${this.key}: unfinished or damaged (no ${MARKER} with its key); rebuilding it`,
          );
          await this.remove();
        }
        await docker(["volume", "create", ...labelArgs(this.#labels()), this.volume]);
        try {
          await build(this.volume);
          const marked = await this.#helper([], `echo ${this.key} > ${AT.template}/${MARKER} && sync`, "rw");
          if (marked.exitCode !== 0)
            throw new Error(`finishing engine template ${this.key}: ${marked.stderr.trim()}`);
        } catch (error) {
          await this.remove();
          throw error;
        }
        await this.#pruneOthers();
        return "built";
      },
      {
        onWait: (holder) => {
          progress(`engine template ${this.key}: process ${holder} is building it; waiting`);
        },
      },
    );
  }

  /**
   * Copies the template into a host's (new, empty) engine volume, refusing a template that is not
   * finished. `labels` are the host's: the helper container is removed with it if this process dies.
   */
  async cloneInto(volume: string, labels: Record<string, string>): Promise<void> {
    const copied = await this.#helper(
      ["-v", `${volume}:${AT.engine}`, ...labelArgs(labels)],
      // -a keeps owners, modes, hard links, device nodes (overlay whiteouts) and xattrs (opaque dirs);
      // the engine's id (newer Docker keeps it here) is the host's own, made at its first start.
      `test "$(cat ${AT.template}/${MARKER} 2>/dev/null)" = ${this.key} || exit 42; ` +
        `cp -a ${AT.template}/. ${AT.engine}/ && rm -f ${AT.engine}/${MARKER} ${AT.engine}/engine-id`,
      "ro",
    );
    if (copied.exitCode === 42)
      throw new Error(
        `engine template ${this.key} (volume ${this.volume}) is not finished; run again to rebuild it`,
      );
    if (copied.exitCode !== 0)
      throw new Error(`copying engine template ${this.key} into ${volume} failed: ${copied.stderr.trim()}`);
  }

  /** Removes the template (a damaged one is rebuilt by the next host). */
  async remove(): Promise<void> {
    await docker(["volume", "rm", "-f", this.volume], { check: false });
  }

  #labels(): Record<string, string> {
    // Kept (like the image cache) until `clean --all`; no owner, so no `clean` takes it for a crashed run's.
    return { [Label.managed]: "true", [Label.keep]: "true", [Label.template]: this.key };
  }

  async #state(): Promise<"absent" | "unfinished" | "finished"> {
    if ((await docker(["volume", "inspect", this.volume], { check: false })).exitCode !== 0) return "absent";
    const marker = await this.#helper([], `cat ${AT.template}/${MARKER} 2>/dev/null || true`, "ro");
    return marker.stdout.trim() === this.key ? "finished" : "unfinished";
  }

  /** A short-lived container with the template mounted; CAP_SYS_ADMIN to read and write trusted.* xattrs. */
  #helper(args: readonly string[], script: string, access: "ro" | "rw") {
    return docker(
      [
        "run",
        "--rm",
        "--cap-add",
        "SYS_ADMIN",
        "--network",
        "none",
        "-v",
        `${this.volume}:${AT.template}:${access}`,
        ...args,
        "--entrypoint",
        "sh",
        this.#helperImage,
        "-c",
        script,
      ],
      { check: false, timeoutMs: 10 * 60_000 },
    );
  }

  /**
   * Keeps the newest few templates (one per image set in use: the suite's, a test's, an older commit's)
   * and removes the rest; one still being copied from stays (rm refuses a volume in use).
   */
  async #pruneOthers(): Promise<void> {
    const others = (await EngineTemplate.list())
      .filter((other) => other.volume !== this.volume)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    for (const old of others.slice(KEPT_TEMPLATES - 1))
      await docker(["volume", "rm", old.volume], { check: false });
  }
}
