import { escapeRegExp } from "../format.ts";
import { RUNBOOK_FRONTEND_PORT } from "../stack/frontend-port.ts";
import {
  composeServiceFor,
  throughNginx,
  RUNBOOK_PROFILE,
  RUNBOOK_SERVICES,
  type Profile,
  type RunbookService,
} from "../profile/profile.ts";

/**
 * The runbook's names (units, containers, compose services, the backend's and the frontend's ports, the install root)
 * against a checkout's own. A runbook command typed during an incident is typed with the deployment's
 * real names: this is how the harness types it on a checkout that renamed things, and says so.
 */
export class CheckoutTerms {
  readonly #renames: readonly Rename[];
  /** Every rename's pattern in one alternation (longest first), or undefined when nothing is renamed. */
  readonly #pattern: RegExp | undefined;
  readonly #composeServices: ReadonlyMap<string, string>;
  readonly #composeFiles: string;

  constructor(profile: Profile, here: CheckoutPlaces = {}) {
    this.#renames = renamesOf(profile, here);
    this.#pattern =
      this.#renames.length === 0
        ? undefined
        : new RegExp(this.#renames.map((r) => `(?:${r.pattern})`).join("|"), "g");
    this.#composeServices = new Map(
      RUNBOOK_SERVICES.flatMap((role) => {
        const theirs = composeServiceFor(profile, role);
        return theirs === undefined || theirs === role ? [] : [[role, theirs] as const];
      }),
    );
    this.#composeFiles = here.composeFileArgs ?? "";
  }

  /**
   * The runbook's text as this checkout names things, and each rename made ("sattva-backend →
   * sattva-api"); the text itself when the checkout uses the runbook's names.
   */
  translate(text: string): { readonly text: string; readonly renamed: readonly string[] } {
    const renamed = new Set<string>();
    const rename = (from: string, to: string) => {
      renamed.add(`${from} → ${to}`);
      return to;
    };
    let translated = text;
    if (this.#pattern !== undefined) {
      translated = translated.replace(this.#pattern, (match) => {
        const found = this.#renames.find((r) => r.from === match);
        return found === undefined ? match : rename(found.from, found.to);
      });
    }
    // Compose's service names only mean a service after `docker compose`; elsewhere "db" is a word.
    translated = translated.replace(/\bdocker(?: |-)compose\b([^;&|]*)/g, (command: string, args: string) => {
      const services = args.replace(/(?<![\w./:=-])([a-z][\w-]*)(?![\w./:=-])/g, (word: string) => {
        const theirs = this.#composeServices.get(word);
        return theirs === undefined ? word : rename(word, theirs);
      });
      const files = this.#composeFiles === "" ? "" : ` ${this.#composeFiles}`;
      if (files !== "") renamed.add(`docker compose → docker compose${files}`);
      return `${command.slice(0, command.length - args.length)}${files}${services}`;
    });
    return { text: translated, renamed: [...renamed] };
  }
}

/** What the profile alone does not say: where the checkout's files put things on the host. */
export interface CheckoutPlaces {
  /** `-f a.yml -f b.yml` when `docker compose` would not find the checkout's files by itself. */
  readonly composeFileArgs?: string;
  /** The backend's and the streamer's venvs as host paths, where their units say. */
  readonly venvs?: { readonly backend?: string; readonly streamer?: string };
  /** The container names the compose files fix (`container_name:`), by compose service. */
  readonly containerNames?: ReadonlyMap<string, string>;
  /** The host port users reach the frontend on, where it is not the runbook's 3000. */
  readonly frontendPort?: number;
}

interface Rename {
  readonly from: string;
  readonly to: string;
  /** Where `from` is this name and not part of a longer one. */
  readonly pattern: string;
}

/** A name, not inside a longer name or a path on either side (`/opt/sattva-streamer/` is no unit). */
const asName = (name: string) => `(?<![\\w/-])${escapeRegExp(name)}(?![\\w/-])`;
/** A unit file's whole name, also at the end of a path (`/etc/systemd/system/sattva-backend.service`). */
const asFileName = (name: string) => `(?<![\\w-])${escapeRegExp(name)}(?![\\w-])`;

function renamesOf(profile: Profile, here: CheckoutPlaces): Rename[] {
  const { venvs = {}, containerNames = new Map<string, string>(), frontendPort } = here;
  const runbook = RUNBOOK_PROFILE;
  const pairs: [string, string, string][] = [];
  const add = (from: string, to: string, pattern = asName(from)) => {
    if (from !== to) pairs.push([from, to, pattern]);
  };
  for (const role of ["backend", "streamer", "update", "timer"] as const) {
    add(runbook.units[role], profile.units[role], asFileName(runbook.units[role]));
    if (role !== "timer")
      add(runbook.units[role].replace(/\.service$/, ""), profile.units[role].replace(/\.service$/, ""));
  }
  add(runbook.root, profile.root, `${escapeRegExp(runbook.root)}(?![\\w-])`);
  for (const role of ["backend", "streamer"] as const) {
    const theirs = venvs[role];
    const written = `${runbook.root}/${role}/venv`;
    if (theirs !== undefined) add(written, theirs, `${escapeRegExp(written)}(?![\\w-])`);
  }
  for (const role of RUNBOOK_SERVICES as readonly RunbookService[]) {
    const theirs = composeServiceFor(profile, role);
    if (theirs !== undefined)
      add(
        `${runbook.compose.project}-${role}-1`,
        containerNames.get(theirs) ?? `${profile.compose.project}-${theirs}-1`,
      );
  }
  // The backend's health endpoint where the runbook asks for it: after the backend's port, or under
  // nginx's /api/ (the health check a user reaches).
  const [health = "/health"] = runbook.backend.health;
  const theirs = profile.backend.health[0] ?? health;
  add(health, theirs, `(?<=:\\d+)${escapeRegExp(health)}(?![\\w/-])`);
  add(throughNginx(health), throughNginx(theirs), `${escapeRegExp(throughNginx(health))}(?![\\w/-])`);
  // The backend's port wherever the runbook writes it after a colon: `localhost:8000`, `lsof -i :8000`.
  const port = `:${runbook.backend.port}`;
  add(port, `:${profile.backend.port}`, `${escapeRegExp(port)}(?!\\d)`);
  // The frontend's, as users reach it: `GET :3000/api/health`.
  const frontend = `:${RUNBOOK_FRONTEND_PORT}`;
  add(frontend, `:${frontendPort ?? RUNBOOK_FRONTEND_PORT}`, `${escapeRegExp(frontend)}(?!\\d)`);
  // Longest first: at one position, a container name wins over the unit name it starts with.
  return pairs.sort(([a], [b]) => b.length - a.length).map(([from, to, pattern]) => ({ from, to, pattern }));
}
