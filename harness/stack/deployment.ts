import path from "node:path";
import type { CheckoutReading } from "../audit/read-checkout.ts";
import { venvOf } from "../audit/checks/venvs.ts";
import { alertRules, watchesUp, type AlertRule } from "../audit/checks/monitoring.ts";
import { composeEnvFiles } from "../audit/read-checkout.ts";
import { frontendPublishOf, type FrontendPublish } from "./frontend-port.ts";
import {
  findDirectives,
  NGINX_DEFAULT_PROXY_READ_TIMEOUT,
  parseNginxConf,
  proxiedLocations,
  proxyReadTimeout,
  type ProxiedLocation,
} from "../parse/nginx-conf.ts";
import { bindMounts } from "../profile/init.ts";
import { envValuesToRedact, numericEnvValues, parseEnvFile } from "../parse/env-file.ts";
import { runbook } from "../runbook/runbook.ts";
import { commandWords } from "../parse/unit-file.ts";
import { catalogueServiceOf, type Service } from "../images/catalogue.ts";
import { dockerfileBases } from "../parse/dockerfile.ts";
import { looseObject, looseText } from "../parse/loose-json.ts";
import {
  composeServiceFor,
  RUNBOOK_SERVICE_IMAGES,
  RUNBOOK_SERVICES,
  type Profile,
  type RunbookService,
} from "../profile/profile.ts";
import type { UnitRole } from "../audit/checkout.ts";

/** An env file the deployment reads that the checkout lacks, made on a test host from its example. */
export interface TestEnvFile {
  /** Path relative to the stack's root. */
  readonly file: string;
  /** The example it was made from, if the checkout has one. */
  readonly example: string | undefined;
  /** `NAME=value` lines: the example's values where it gives one, a test value where it leaves a blank. */
  readonly text: string;
}

/** What a compose service runs, and the harness image that stands in for it offline. */
export interface ComposeImage {
  readonly service: string;
  /** Its `image:`, or undefined for a service that is only built. */
  readonly image: string | undefined;
  /** The harness image tagged with its name offline (the catalogue's), if there is one. */
  readonly catalogue: Service | undefined;
  /** Why offline mode has none for it: what it would need. */
  readonly missing?: string;
  /** For a service built here offline: what `docker build` makes, from which bases. */
  readonly build?: ComposeBuild;
}

/**
 * A compose `build:` the harness makes offline, its every base being a catalogue image: each base is
 * tagged from the harness image first, so the build pulls nothing (a step that needs the network fails
 * as it would in production, without it).
 */
export interface ComposeBuild {
  /** The image compose runs: the service's `image:`, or compose's own `<project>-<service>`. */
  readonly image: string;
  /** The build context and its Dockerfile (relative to the context), relative to the stack's root. */
  readonly context: string;
  readonly dockerfile: string;
  readonly bases: readonly { readonly image: string; readonly catalogue: Service }[];
}

/** A venv a unit runs from, and the requirements it is built from (both relative to the stack's root). */
export interface Venv {
  readonly dir: string;
  readonly requirements: string | undefined;
}

/**
 * How a checkout is deployed on a host, as its profile and units say: where it lives, what its units,
 * compose services and venvs are called, which users and env files it needs. Every name the harness
 * uses on a host comes from here, so a checkout that names things differently is deployed as it is.
 */
export class Deployment {
  readonly profile: Profile;
  readonly venvs: readonly Venv[];
  readonly users: readonly string[];
  readonly envFiles: readonly TestEnvFile[];
  /** The unit files to install (relative to the checkout): the units folder's. */
  readonly unitFiles: readonly string[];
  /** The units of the runbook's parts the checkout has, by role. */
  readonly unitsPresent: ReadonlySet<UnitRole>;
  /** Every compose service, with the image it runs here. */
  readonly composeImages: readonly ComposeImage[];
  /** Each compose service's `depends_on`. */
  readonly composeDependsOn: ReadonlyMap<string, readonly string[]>;
  /** The compose services whose files fix their container's name (`container_name:`), by service. */
  readonly containerNames: ReadonlyMap<string, string>;
  /** Where users reach the frontend on the host (the runbook's :3000, or the port this checkout publishes). */
  readonly frontend: FrontendPublish;
  /** The frontend nginx's prefix locations that proxy, and where to: what users reach through its port. */
  readonly frontendProxies: readonly ProxiedLocation[];
  /** How long the frontend's nginx waits for the backend's answer under /api/ (proxy_read_timeout), in seconds. */
  readonly apiReadTimeout: number;
  /** The checkout folder mounted as the SPA nginx serves, and whether the checkout has it. */
  readonly spaSource: { readonly dir: string; readonly present: boolean } | undefined;
  /** The values the checkout's own env files set: redacted wherever the harness writes what it saw. */
  readonly secrets: readonly { readonly name: string; readonly value: string }[];

  /** The checkout's Prometheus alert rules (its profile's rule files). */
  readonly alertRules: readonly AlertRule[];

  /**
   * The Telegram client a service's venv requires, where it requires one (e.g. "pyrogram, in
   * streamer/requirements.txt"): on a test host such a service has no Telegram account to log in to.
   */
  readonly telegramClients: ReadonlyMap<"backend" | "streamer", string>;

  private constructor(
    reading: CheckoutReading,
    envFiles: readonly TestEnvFile[],
    composeImages: readonly ComposeImage[],
    secrets: Deployment["secrets"],
    alertRules: readonly AlertRule[],
    telegramClients: ReadonlyMap<"backend" | "streamer", string>,
    nginx: NginxServes,
    projectEnv: ReadonlyMap<string, string>,
  ) {
    this.secrets = secrets;
    this.alertRules = alertRules;
    const { profile, checkout, units } = reading;
    this.profile = profile;
    this.envFiles = envFiles;
    this.composeImages = composeImages;
    const frontend = composeServiceFor(profile, "frontend");
    this.frontend = frontendPublishOf(reading.composeYaml, frontend, nginx.listens, projectEnv);
    this.spaSource = spaSourceOf(reading, frontend, nginx.root);
    this.frontendProxies = nginx.proxied;
    this.apiReadTimeout = nginx.apiReadTimeout;
    this.containerNames = new Map(
      reading.composeYaml.flatMap((yaml) =>
        Object.entries(looseObject(looseObject(yaml.data)["services"])).flatMap(([name, raw]) => {
          const fixed = looseObject(raw)["container_name"];
          return typeof fixed === "string" ? [[name, fixed] as const] : [];
        }),
      ),
    );
    this.composeDependsOn = new Map(
      reading.composeYaml.flatMap((yaml) =>
        // A later file that says nothing of a service's dependencies leaves them as they were.
        Object.entries(looseObject(looseObject(yaml.data)["services"])).flatMap(([name, raw]) => {
          const dependsOn = looseObject(raw)["depends_on"];
          if (dependsOn === undefined) return [];
          const names = Array.isArray(dependsOn)
            ? dependsOn.map((d) => looseText(d))
            : Object.keys(looseObject(dependsOn));
          return [[name, names] as const];
        }),
      ),
    );
    this.unitsPresent = new Set(units.keys());
    this.unitFiles = reading.allUnits
      .map((u) => u.files[0] ?? "")
      .filter((f) => path.dirname(f) === path.normalize(profile.units.dir));
    this.venvs = [...units.values()]
      .flatMap((unit) => {
        const venv = venvOf(unit);
        const dir = venv === undefined ? undefined : checkout.fromHost(venv);
        if (dir === undefined) return [];
        const requirements = requirementsOf(dir);
        return [{ dir, requirements: checkout.has(requirements) ? requirements : undefined }];
      })
      .filter((venv, i, all) => all.findIndex((v) => v.dir === venv.dir) === i);
    const venvOfRole = (role: UnitRole) => {
      const unit = units.get(role);
      const venvPath = unit === undefined ? undefined : venvOf(unit);
      const dir = venvPath === undefined ? undefined : checkout.fromHost(venvPath);
      return this.venvs.find((v) => v.dir === dir);
    };
    const backend = units.get("backend");
    this.backendVenv = venvOfRole("backend");
    this.streamerVenv = venvOfRole("streamer");
    this.telegramClients = telegramClients;
    this.backendCommand = commandWords(backend?.get("Service", "ExecStart")?.value ?? "");
    const unitUsers = [...units.values()].flatMap((u) => u.get("Service", "User")?.value ?? []);
    this.users = [...new Set([...profile.users, ...unitUsers])].filter((u) => u !== "root" && u !== "0");
  }

  /** The deployment of a checkout, with test env files made for those it reads and lacks. */
  static async of(reading: CheckoutReading): Promise<Deployment> {
    const { profile, checkout } = reading;
    const referenced = referencedEnvFiles(reading);
    const envFiles = await testEnvFiles(reading);
    // The checkout's own env files (not their examples): what they hold may be real.
    const own = checkout.files.filter(
      (f) =>
        (referenced.includes(f) || /(^|\/)\.env$/.test(f)) &&
        !/\.(example|sample|dist|template|tmpl)$/.test(f),
    );
    const secrets = (
      await Promise.all(own.map(async (f) => envValuesToRedact((await checkout.read(f))?.text ?? "")))
    ).flat();
    const ruleFiles = await Promise.all(
      profile.monitoring.rules.filter((f) => checkout.has(f)).map((f) => checkout.yaml(f)),
    );
    const rules = ruleFiles.flatMap((yaml) => (yaml === undefined ? [] : alertRules(yaml)));
    return new Deployment(
      reading,
      envFiles,
      await composeImages(reading),
      secrets,
      rules,
      await telegramClientsOf(reading),
      await nginxServesOf(reading),
      await projectEnvOf(reading, envFiles),
    );
  }

  get root(): string {
    return this.profile.root;
  }

  /** The text with every value of the checkout's own env files replaced by `<redacted NAME>`. */
  redact(text: string): string {
    let redacted = text;
    for (const { name, value } of [...this.secrets].sort((a, b) => b.value.length - a.value.length)) {
      // As written, and as JSON writes it (a journal).
      for (const form of new Set([value, JSON.stringify(value).slice(1, -1)]))
        redacted = redacted.split(form).join(`<redacted ${name}>`);
    }
    return redacted;
  }

  /** The compose service playing a runbook part here, or undefined when the checkout has none. */
  service(role: RunbookService): string | undefined {
    return composeServiceFor(this.profile, role);
  }

  /**
   * The alert that fires when the backend's or the streamer's scrape job is down (`up{job=…} == 0`),
   * by this checkout's rules and job names: BackendDown and StreamerDown in the bundled stack.
   */
  downAlert(role: "backend" | "streamer"): string | undefined {
    const job = this.profile.prometheus.jobs[role];
    return this.alertRules.find((rule) => watchesUp(rule.expr, job))?.name;
  }

  /** `sattva-backend.service` for the backend role. */
  unit(role: UnitRole): string {
    return this.profile.units[role];
  }

  /** `sattva-backend` for the backend role: a service unit as systemctl and the runbook write it. */
  unitName(role: UnitRole): string {
    return this.unit(role).replace(/\.service$/, "");
  }

  /** The backend and streamer units the checkout has: what the start order starts under systemd. */
  get services(): string[] {
    return (["backend", "streamer"] as const)
      .filter((role) => this.unitsPresent.has(role))
      .map((role) => this.unit(role));
  }

  /** The venv the backend unit runs from. */
  readonly backendVenv: Venv | undefined;
  /** The venv the streamer unit runs from (where the daily update upgrades yt-dlp). */
  readonly streamerVenv: Venv | undefined;
  /** The backend unit's ExecStart, as words (what the compose backend's image runs offline). */
  readonly backendCommand: readonly string[];

  /** `-f a.yml -f b.yml` when the checkout's compose files are not the one `docker compose` finds by itself. */
  get composeFileArgs(): string {
    const files = this.profile.compose.files;
    return files.length === 1 && files[0] === "docker-compose.yml"
      ? ""
      : files.map((f) => `-f ${f}`).join(" ");
  }

  /**
   * The compose services the runbook's `docker compose up -d db redis …` starts here, by this checkout's
   * names: those it names and, transitively, what they depend on.
   */
  startedByRunbook(): Set<string> {
    const started = new Set<string>();
    const visit = (name: string) => {
      if (started.has(name) || !this.composeImages.some((c) => c.service === name)) return;
      started.add(name);
      for (const dependency of this.composeDependsOn.get(name) ?? []) visit(dependency);
    };
    for (const role of runbook().composeUp.services) {
      const name = this.service(role);
      if (name !== undefined) visit(name);
    }
    return started;
  }

  /** The folder of the main compose file, relative to the root: where compose looks for its override. */
  get composeDir(): string {
    return path.dirname(this.profile.compose.files[0] ?? "docker-compose.yml");
  }
}

/** The compose services of the checkout's files (later files override earlier ones), with their images. */
async function composeImages(reading: CheckoutReading): Promise<ComposeImage[]> {
  const { profile, checkout } = reading;
  const services = new Map<string, { image?: string; build?: { context: string; dockerfile: string } }>();
  for (const yaml of reading.composeYaml) {
    for (const [name, raw] of Object.entries(looseObject(looseObject(yaml.data)["services"]))) {
      const service = looseObject(raw);
      const known = services.get(name) ?? {};
      const image = looseText(service["image"]);
      const build = service["build"];
      const context =
        typeof build === "string"
          ? build
          : looseText(looseObject(build)["context"], build === undefined ? "" : ".");
      services.set(name, {
        ...known,
        ...(image === "" ? {} : { image }),
        ...(context === ""
          ? {}
          : {
              build: {
                context: path.normalize(path.join(path.dirname(yaml.file), context)),
                dockerfile: looseText(looseObject(build)["dockerfile"], "Dockerfile"),
              },
            }),
      });
    }
  }
  const roleOf = (name: string) => RUNBOOK_SERVICES.find((role) => composeServiceFor(profile, role) === name);
  return Promise.all(
    [...services].map(async ([service, { image, build }]): Promise<ComposeImage> => {
      const role = roleOf(service);
      // The compose backend's image is made from the backend's venv when a scenario starts it.
      if (role === "backend") return { service, image, catalogue: undefined };
      const mapped = profile.compose.images[service];
      if (mapped !== undefined) return { service, image, catalogue: mapped };
      if (build === undefined) {
        const catalogue =
          (role === undefined ? undefined : RUNBOOK_SERVICE_IMAGES[role]) ??
          (image === undefined ? undefined : catalogueServiceOf(image));
        if (catalogue !== undefined) return { service, image, catalogue };
        return { service, image, catalogue, missing: `needs image ${image ?? "(none named)"} offline` };
      }
      // Built, as production builds it: offline when every base is a catalogue image.
      const dockerfile = path.join(build.context, build.dockerfile);
      const text = (await checkout.read(dockerfile))?.text;
      const bases = dockerfileBases(text ?? "");
      const unknown = bases.filter((b) => catalogueServiceOf(b) === undefined);
      if (text !== undefined && bases.length > 0 && unknown.length === 0) {
        const made = image ?? `${profile.compose.project}-${service}`;
        const catalogued = bases.map((b) => ({ image: b, catalogue: catalogueServiceOf(b) as Service }));
        return { service, image, catalogue: undefined, build: { image: made, ...build, bases: catalogued } };
      }
      return {
        service,
        image,
        catalogue: undefined,
        missing:
          unknown.length > 0
            ? `needs image ${unknown.join(", ")} offline`
            : `needs a build of ${dockerfile}, which ${text === undefined ? "is not in the checkout" : "names no base image"} (--mode online builds it)`,
      };
    }),
  );
}

/** The env files compose and the units read (and the profile names), relative to the root. */
function referencedEnvFiles(reading: CheckoutReading): string[] {
  const { profile, checkout, units } = reading;
  // Compose reads the `.env` of its project folder (the first file's) for `${VAR}`s by itself: one the
  // checkout gives an example of is made like any other.
  const [firstCompose] = profile.compose.files;
  const projectEnv = path.join(path.dirname(firstCompose ?? "docker-compose.yml"), ".env");
  return [
    ...(checkout.exampleOf(projectEnv) === undefined ? [] : [projectEnv]),
    ...composeEnvFiles(reading.composeYaml).map((f) => f.file),
    ...[...units.values()].flatMap((u) =>
      u.all("Service", "EnvironmentFile").flatMap((a) => checkout.fromHost(a.value.replace(/^-/, "")) ?? []),
    ),
    ...profile.env.map((e) => path.normalize(e.file)),
  ];
}

/**
 * The env files the deployment reads that the checkout lacks, as a test host gets them: made from
 * their examples with test values (empty where there is no example).
 */
export async function testEnvFiles(reading: CheckoutReading): Promise<TestEnvFile[]> {
  const { profile, checkout } = reading;
  const collections = await collectionSettingsOf(reading);
  return Promise.all(
    [...new Set(referencedEnvFiles(reading))]
      .filter((file) => !checkout.has(file))
      .map(async (file) => {
        const example = checkout.exampleOf(file);
        const text = example === undefined ? undefined : (await checkout.read(example))?.text;
        const needs = profile.env.find((e) => path.normalize(e.file) === file)?.needs ?? [];
        return { file, example, text: testEnvText(text, needs, collections) };
      }),
  );
}

/**
 * A settings field typed as a collection (`admin_ids: list[int]`, `hosts: Optional[List[str]]`): typed
 * settings (pydantic's) read its variable as JSON, so a plain value fails their validation at start.
 */
const COLLECTION_FIELD =
  /^\s+([A-Za-z_]\w*)\s*:\s*(?:typing\.)?(?:Optional\[\s*)?(?:typing\.)?(?:list|List|set|Set|frozenset|FrozenSet|tuple|Tuple|Sequence)\b/gm;

/** The upper-cased names of the collection-typed fields in the checkout's Python: the variables they read. */
export function collectionSettingsIn(python: string): string[] {
  return [...python.matchAll(COLLECTION_FIELD)].map((match) => (match[1] ?? "").toUpperCase());
}

async function collectionSettingsOf(reading: CheckoutReading): Promise<ReadonlySet<string>> {
  const sources = reading.checkout.files.filter((file) => file.endsWith(".py"));
  const names = await Promise.all(
    sources.map(async (file) => collectionSettingsIn((await reading.checkout.read(file))?.text ?? "")),
  );
  return new Set(names.flat());
}

/** Python clients of Telegram (MTProto and Bot API) and the call libraries built on them. */
const TELEGRAM_CLIENTS =
  /^\s*(pyrogram|pyrofork|kurigram|hydrogram|telethon|py-tgcalls|pytgcalls|tgcalls|ntgcalls|aiogram|python-telegram-bot|pytelegrambotapi|tgcrypto)\b/im;

/** The requirements a venv is built from: the file beside it. */
const requirementsOf = (venvDir: string) => path.join(path.dirname(venvDir), "requirements.txt");

/**
 * The Telegram client the backend's and the streamer's venvs require, where one does ("pyrogram, in
 * streamer/requirements.txt"): such a service has no Telegram account to log in to on a test host.
 */
export async function telegramClientsOf(
  reading: CheckoutReading,
): Promise<ReadonlyMap<"backend" | "streamer", string>> {
  const found = await Promise.all(
    (["backend", "streamer"] as const).map(async (role) => {
      const unit = reading.units.get(role);
      const venv = unit === undefined ? undefined : venvOf(unit);
      const dir = venv === undefined ? undefined : reading.checkout.fromHost(venv);
      if (dir === undefined) return [];
      const file = requirementsOf(dir);
      const client = telegramClientIn((await reading.checkout.read(file))?.text ?? "");
      return client === undefined ? [] : [[role, `${client}, in ${file}`] as const];
    }),
  );
  return new Map(found.flat());
}

/** The first Telegram client a requirements file names, if any. */
export function telegramClientIn(requirements: string): string | undefined {
  return TELEGRAM_CLIENTS.exec(requirements)?.[1]?.toLowerCase();
}

/**
 * An env file for a test host from its example: each variable keeps the example's value when it gives
 * a real one, and gets a test value where it leaves a blank or a placeholder; a placeholder that other
 * values repeat (the password in a URL) is replaced there too, so they still agree. Never a secret.
 */
export function testEnvText(
  example: string | undefined,
  needs: readonly string[] = [],
  collections: ReadonlySet<string> = new Set(),
): string {
  const testValueOf = (name: string) => testValue(name, collections.has(name.toUpperCase()));
  const lines = example === undefined ? [] : example.split(/\r?\n/);
  const variables = parseEnvFile(example ?? "");
  const valueOf = (line: string) =>
    /^(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(.*)$/.exec(line.trim())?.[1] ?? "";
  // One test value per placeholder: two secrets an example writes as the same `changeme` get the same
  // value, so a URL that repeats the placeholder agrees with both.
  const placeholders = new Map<string, string>();
  const placeholderOf = (variable: { line: number }) =>
    valueOf(lines[variable.line - 1] ?? "")
      .replace(/^(["'])(.*)\1$/, "$2")
      .trim();
  for (const variable of variables.filter((v) => !v.hasValue)) {
    const raw = placeholderOf(variable);
    if (raw !== "" && !placeholders.has(raw)) placeholders.set(raw, testValueOf(variable.name));
  }
  const out = variables.map((variable) => {
    if (!variable.hasValue)
      return `${variable.name}=${placeholders.get(placeholderOf(variable)) ?? testValueOf(variable.name)}`;
    let value = valueOf(lines[variable.line - 1] ?? "");
    for (const [placeholder, replacement] of placeholders) value = value.split(placeholder).join(replacement);
    return `${variable.name}=${value}`;
  });
  for (const name of needs.filter((n) => !variables.some((v) => v.name === n)))
    out.push(`${name}=${testValueOf(name)}`);
  return `# Made by sattva-chaos for a test host: test values, never real secrets.\n${out.join("\n")}\n`;
}

/**
 * A recognisable, harmless test value for a variable: a number, a flag or a URL where its name asks
 * for one (ADMIN_ID, DEBUG, WEBHOOK_URL), text otherwise; as a JSON list of one such value for a
 * setting typed as a collection.
 */
export function testValue(name: string, collection = false): string {
  if (collection) {
    const one = testValue(name);
    return `[${/^\d+$/.test(one) ? one : JSON.stringify(one)}]`;
  }
  const text = `sattva-chaos-test-${name.toLowerCase().replaceAll("_", "-")}`;
  // Telegram's credentials stay unusable: its clients then stop before they open any connection.
  if (TELEGRAM_CREDENTIAL.test(name)) return text;
  // Otherwise a value of the kind the name asks for, so typed settings (pydantic's) load at start.
  if (FLAG.test(name)) return "false";
  if (NUMBER.test(name)) return "12345";
  // The .invalid top-level domain never resolves (RFC 2606): nothing is reached through it.
  if (URL_NAME.test(name)) return `http://sattva-chaos-test.invalid/${text}`;
  return text;
}

const TELEGRAM_CREDENTIAL = /API_ID|APP_ID|API_HASH|APP_HASH|BOT_TOKEN|SESSION|PHONE/i;
const FLAG = /^(DEBUG|TESTING)$|^(ENABLE|USE|IS|ALLOW|DISABLE)_|_(ENABLED|DISABLED|DEBUG)$/i;
const NUMBER =
  /(^|_)(IDS?|PORT|TIMEOUT|INTERVAL|SECONDS|SECS|MS|MINUTES|HOURS|COUNT|LIMIT|SIZE|WORKERS|TTL|RETRIES|MAX|MIN)$/i;
const URL_NAME = /_(URL|URI|ENDPOINT)$/i;

/** What the checkout's nginx server block says of where it listens and what it serves. */
interface NginxServes {
  /** The first argument of each `listen` (none when it has no readable one). */
  readonly listens: readonly string[];
  /** Its `root` (nginx's image serves /usr/share/nginx/html without one). */
  readonly root: string;
  /** Its prefix locations that proxy, and where to. */
  readonly proxied: readonly ProxiedLocation[];
  /** How long it waits for the backend's answer under /api/, in seconds (proxy_read_timeout). */
  readonly apiReadTimeout: number;
}

async function nginxServesOf(reading: CheckoutReading): Promise<NginxServes> {
  const text = (await reading.checkout.read(reading.profile.nginx.conf))?.text;
  const fallback = {
    listens: [],
    root: "/usr/share/nginx/html",
    proxied: [],
    apiReadTimeout: NGINX_DEFAULT_PROXY_READ_TIMEOUT,
  };
  if (text === undefined) return fallback;
  try {
    const directives = parseNginxConf(text);
    const first = (name: string) =>
      findDirectives(directives, name).flatMap(({ directive }) => directive.args[0] ?? []);
    return {
      listens: first("listen"),
      root: first("root")[0] ?? fallback.root,
      proxied: proxiedLocations(directives),
      apiReadTimeout: proxyReadTimeout(directives),
    };
  } catch {
    // A file nginx cannot read is the audit's finding (nginx -t); here it says nothing known.
    return fallback;
  }
}

/**
 * The checkout folder compose mounts where nginx serves the SPA from (`./frontend/dist`), and whether
 * the checkout has anything in it: a build output that is not committed (built on the server) is not.
 */
function spaSourceOf(
  reading: CheckoutReading,
  service: string | undefined,
  root: string,
): Deployment["spaSource"] {
  if (service === undefined) return undefined;
  for (const yaml of reading.composeYaml) {
    const definition = looseObject(looseObject(looseObject(yaml.data)["services"])[service]);
    const mount = bindMounts(definition, path.dirname(yaml.file)).find((m) => m.target === root);
    if (mount !== undefined)
      return {
        dir: mount.source,
        present: reading.checkout.files.some((f) => f.startsWith(`${mount.source}/`)),
      };
  }
  return undefined;
}

/**
 * The numeric variables (ports) compose reads by itself for the project (`.env` beside its first
 * file): the checkout's own, else the one a test host gets, made from its example.
 */
async function projectEnvOf(
  reading: CheckoutReading,
  made: readonly TestEnvFile[],
): Promise<ReadonlyMap<string, string>> {
  const file = path.join(path.dirname(reading.profile.compose.files[0] ?? "docker-compose.yml"), ".env");
  const text = (await reading.checkout.read(file))?.text ?? made.find((f) => f.file === file)?.text ?? "";
  return numericEnvValues(text);
}
