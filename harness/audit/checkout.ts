import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Finding, Severity } from "../findings/finding.ts";
import type { LookedFor } from "../findings/json.ts";
import { UnitFile } from "../parse/unit-file.ts";
import { YamlFile } from "../parse/yaml-file.ts";
import { RUNBOOK_PROFILE, statesKey, type Profile } from "../profile/profile.ts";
import { runbook, RunbookSections, type Citation } from "../runbook/runbook.ts";

/** The units the runbook puts on the host, by the part they play. */
export const UNIT_ROLES = ["backend", "streamer", "update", "timer"] as const;
export type UnitRole = (typeof UNIT_ROLES)[number];

/**
 * Folders a walk of the checkout never enters, and a deployment of it never copies: VCS data,
 * dependencies (the harness itself, installed in the deployment's repository), virtualenvs (built on
 * the host), caches, our own state.
 */
export const SKIPPED_DIRS: ReadonlySet<string> = new Set([
  ".git",
  "node_modules",
  "venv",
  ".venv",
  "__pycache__",
  ".sattva-chaos",
  ".tox",
  ".mypy_cache",
]);
const MAX_DEPTH = 8;
const COMPOSE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"];

export interface CheckoutText {
  /** Path relative to the checkout. */
  readonly file: string;
  readonly text: string;
  readonly executable: boolean;
}

/** What the runbook says of each part's place, for the finding when it is elsewhere or missing. */
function placeCitation(what: Located["what"]): Citation {
  const rb = runbook();
  switch (what) {
    case "unit:backend":
      return rb.cite(RunbookSections.backendUnit, "# /etc/systemd/system/sattva-backend.service");
    case "unit:streamer":
      return rb.cite(RunbookSections.streamerUnit, "# /etc/systemd/system/sattva-streamer.service");
    case "unit:update":
    case "unit:timer":
      return rb.cite(RunbookSections.timer, "systemctl enable --now yt-dlp-update.timer");
    case "compose":
      return rb.cite(RunbookSections.related, "[docker-compose.yml](../../docker-compose.yml)");
    case "script":
      return rb.cite(RunbookSections.updateScript, "# /opt/sattva-streamer/scripts/yt-dlp-update.sh");
    case "nginx":
      return rb.cite(RunbookSections.nginx, "# frontend/nginx.conf");
    case "prometheus":
    case "rules":
    case "alertmanager":
      return rb.cite(RunbookSections.table, "| Prometheus | `Docker` | 9090 | Мониторинг |");
  }
}

export interface Located {
  readonly what:
    `unit:${UnitRole}` | "compose" | "script" | "nginx" | "prometheus" | "rules" | "alertmanager";
  readonly description: string;
  readonly severityIfMissing: Severity;
  readonly impactIfMissing: string;
  /** Files that might be the part under another name, named when it is missing. */
  readonly candidates?: (checkout: Checkout) => string[];
}

/**
 * A checkout of the deployment as it is on disk, read without a host: where each part the runbook
 * names is (where the profile says, where the runbook's layout puts it, or found elsewhere), and every
 * difference in layout as a finding. Parsing what is found is left to the checks.
 */
export class Checkout {
  readonly dir: string;
  readonly profile: Profile;
  readonly profileFile: string | undefined;
  /** Every file of the checkout (relative paths), less the folders a walk skips. */
  readonly files: readonly string[];
  readonly lookedFor: LookedFor[] = [];
  readonly layoutFindings: Finding[] = [];
  readonly #texts = new Map<string, Promise<CheckoutText | undefined>>();

  /** What the user's profile itself states (its JSON before defaults), to tell it from what was inferred. */
  readonly statedProfile: unknown;

  private constructor(
    dir: string,
    profile: Profile,
    profileFile: string | undefined,
    stated: unknown,
    files: string[],
  ) {
    this.dir = dir;
    this.profile = profile;
    this.profileFile = profileFile;
    this.statedProfile = stated;
    this.files = files;
  }

  /** `profile` is what the audit goes by; `stated` the user's profile's own JSON ({} without one). */
  static async open(
    dir: string,
    profile: Profile,
    profileFile: string | undefined,
    stated: unknown = {},
  ): Promise<Checkout> {
    const root = path.resolve(dir);
    return new Checkout(root, profile, profileFile, stated, await walk(root));
  }

  has(file: string): boolean {
    return this.files.includes(path.normalize(file));
  }

  /** A file's text and exec bit, read once; undefined when it is not in the checkout. */
  read(file: string): Promise<CheckoutText | undefined> {
    const rel = path.normalize(file);
    let text = this.#texts.get(rel);
    if (text === undefined) {
      const absolute = path.join(this.dir, rel);
      text = Promise.all([readFile(absolute, "utf8"), stat(absolute)]).then(
        ([content, info]) => ({ file: rel, text: content, executable: (info.mode & 0o111) !== 0 }),
        () => undefined,
      );
      this.#texts.set(rel, text);
    }
    return text;
  }

  /** A path on the host (under the profile's root) as a path in the checkout, if it is one. */
  fromHost(hostPath: string): string | undefined {
    const root = this.profile.root;
    if (hostPath !== root && !hostPath.startsWith(`${root}/`)) return undefined;
    return path.normalize(hostPath.slice(root.length + 1) || ".");
  }

  /** Whether the profile the audit goes by (stated, or read from the checkout) departs from the runbook here. */
  departs(pick: (profile: Profile) => unknown): boolean {
    return JSON.stringify(pick(this.profile)) !== JSON.stringify(pick(RUNBOOK_PROFILE));
  }

  /**
   * Finds a part: `actual` when the deployment itself says which file it uses (a compose mount), else
   * at `expected` (the profile's path or the runbook's layout), else through `search`. Records what
   * was looked for; a part found elsewhere or not at all is a layout finding.
   */
  locate(
    part: Located,
    expected: string,
    how: {
      readonly actual?: string | undefined;
      readonly search: () => string | undefined;
      /** The profile keys that name this path (`units.dir`, `units.backend`). */
      readonly keys: readonly string[];
      /** Where the runbook's layout puts it. */
      readonly runbookPath: string;
    },
  ): string | undefined {
    const explicit = how.keys.some((key) => statesKey(this.statedProfile, key));
    const found = how.actual ?? (this.has(expected) ? expected : how.search());
    // Looked for where the user's profile says, else at the runbook's place (even when read elsewhere).
    const lookedAt = explicit ? expected : how.runbookPath;
    this.lookedFor.push({
      what: part.description,
      path: lookedAt,
      ...(found === undefined || found === lookedAt ? {} : { found }),
    });
    if (found === expected) return found;
    const runbookSays = placeCitation(part.what);
    const others = part.candidates?.(this) ?? [];
    const hint =
      others.length === 0
        ? ""
        : `; it has ${others.join(", ")}: if one of them is it, name it in a profile (\`sattva-chaos init\` proposes one)`;
    const given = explicit ? `the profile names ${expected}` : `the runbook's layout puts it at ${expected}`;
    if (found !== undefined) {
      this.layoutFindings.push({
        id: "layout.elsewhere",
        severity: "warning",
        kind: "drift",
        subject: part.description,
        file: found,
        runbook: runbookSays,
        observed: `${part.description} is ${how.actual === undefined ? "at" : "mounted from"} ${found}; ${given}`,
        impact: `the harness reads ${found}, but anything that follows the ${explicit ? "profile" : "runbook"} looks at ${expected}; state it in ${explicit ? "the profile" : "a profile (`sattva-chaos init` writes one)"}`,
      });
    } else {
      this.layoutFindings.push({
        id: "layout.missing",
        severity: part.severityIfMissing,
        kind: "drift",
        subject: part.description,
        runbook: runbookSays,
        observed: `${part.description} is not in the checkout (${given}, and no file of that name is anywhere in it)${hint}`,
        impact: part.impactIfMissing,
      });
    }
    return found;
  }

  /** The checked-in example an env file is made from (`.env.example`, `.env.sample`...), if there is one. */
  exampleOf(file: string): string | undefined {
    const rel = path.normalize(file);
    const declared = this.profile.env.find((e) => path.normalize(e.file) === rel)?.example;
    if (declared !== undefined) return declared;
    return [".example", ".sample", ".dist", ".template", ".tmpl"]
      .map((suffix) => `${rel}${suffix}`)
      .concat([path.join(path.dirname(rel), "example.env")])
      .find((candidate) => this.has(candidate));
  }

  /** Files with a given base name, shallowest first. */
  named(basename: string): string[] {
    return this.files
      .filter((file) => path.basename(file) === basename)
      .sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
  }

  /** The compose files a deployment of this checkout uses, as the runbook's commands (or the profile's) would. */
  composeFiles(): string[] {
    const configured = this.profile.compose.files;
    const explicit = this.departs((p) => p.compose.files);
    const first = this.locate(
      {
        what: "compose",
        description: "the Docker Compose file",
        severityIfMissing: "blocker",
        impactIfMissing:
          "the runbook's `docker compose up -d db redis frontend ...` has nothing to start: no database, Redis, frontend or monitoring",
      },
      configured[0] ?? "docker-compose.yml",
      {
        search: () => COMPOSE_NAMES.flatMap((name) => this.named(name))[0],
        keys: ["compose.files"],
        runbookPath: RUNBOOK_PROFILE.compose.files[0] ?? "docker-compose.yml",
      },
    );
    if (first === undefined) return [];
    if (explicit) return [first, ...configured.slice(1).filter((file) => this.has(file))];
    // Without -f, compose also merges the override file beside the main one, as the runbook's commands would.
    const dir = path.dirname(first);
    const override = [
      "docker-compose.override.yml",
      "docker-compose.override.yaml",
      "compose.override.yml",
      "compose.override.yaml",
    ]
      .map((name) => path.join(dir, name))
      .find((file) => this.has(file));
    return override === undefined ? [first] : [first, override];
  }

  async yaml(file: string): Promise<YamlFile | undefined> {
    const content = await this.read(file);
    return content === undefined ? undefined : new YamlFile(file, content.text);
  }

  /**
   * The compose files, each followed by the files it pulls in with `include:` (recursively, relative
   * to the file that includes them, as compose reads them): where the services are defined. Compose
   * itself is called with the files alone; it reads the includes.
   */
  async composeDocuments(files: readonly string[]): Promise<YamlFile[]> {
    const documents: YamlFile[] = [];
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      const rel = path.normalize(file);
      if (seen.has(rel)) return;
      seen.add(rel);
      const yaml = await this.yaml(rel);
      if (yaml === undefined) return;
      documents.push(yaml);
      for (const included of includedPaths(yaml.data)) await visit(path.join(path.dirname(rel), included));
    };
    for (const file of files) await visit(file);
    return documents;
  }

  /** Every unit file in the checkout (`*.service`, `*.timer`...), with its drop-ins, parsed. */
  async unitFiles(): Promise<UnitFile[]> {
    const unitFile = /\.(service|timer|socket|target|path|mount)$/;
    const mains = this.files.filter((file) => unitFile.test(file) && !path.dirname(file).endsWith(".d"));
    return Promise.all(
      mains.map(async (file) => {
        const name = path.basename(file);
        const dropIns = this.files
          .filter(
            (f) => path.dirname(f) === path.join(path.dirname(file), `${name}.d`) && f.endsWith(".conf"),
          )
          .sort();
        const sources = await Promise.all(
          [file, ...dropIns].map(async (f) => ({ file: f, text: (await this.read(f))?.text ?? "" })),
        );
        return new UnitFile(name, sources);
      }),
    );
  }
}

/** The paths a compose file's `include:` names, in its short (a path) and long (`path:` one or many) forms. */
function includedPaths(data: unknown): string[] {
  const include = (data as { include?: unknown } | undefined)?.include;
  if (!Array.isArray(include)) return [];
  return include.flatMap((entry: unknown) => {
    if (typeof entry === "string") return [entry];
    const given = (entry as { path?: unknown } | null)?.path;
    if (typeof given === "string") return [given];
    return Array.isArray(given) ? given.filter((p): p is string => typeof p === "string") : [];
  });
}

async function walk(root: string): Promise<string[]> {
  const files: string[] = [];
  const visit = async (dir: string, depth: number): Promise<void> => {
    const entries = await readdir(path.join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const rel = dir === "" ? entry.name : path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && depth < MAX_DEPTH) await visit(rel, depth + 1);
      } else if (entry.isFile() || entry.isSymbolicLink()) {
        files.push(rel);
      }
    }
  };
  await visit("", 0);
  return files.sort();
}
