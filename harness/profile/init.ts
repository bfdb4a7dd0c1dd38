import path from "node:path";
import { Checkout } from "../audit/checkout.ts";
import { backendBind } from "../audit/checks/units.ts";
import { looseList, looseObject, looseText, type LooseObject } from "../parse/loose-json.ts";
import { commandWords, type UnitFile } from "../parse/unit-file.ts";
import { parseEnvFile } from "../parse/env-file.ts";
import type { YamlFile } from "../parse/yaml-file.ts";
import { scrapeTargets } from "../audit/checks/monitoring.ts";
import { RUNBOOK_PROFILE, RUNBOOK_SERVICES, type ProfileInput, type RunbookService } from "./profile.ts";

/**
 * Proposes a profile for a checkout from what is in it, with no host and no Docker: where each part
 * the runbook names is, what it is called, what it listens on. Only what differs from the runbook is
 * written; each inference that is not certain is recorded under `guessed` with its reason, and what
 * could not be found at all is listed for the user to fill in.
 */
export interface Inference {
  /** The profile key it sets, e.g. `units.dir`. */
  readonly key: string;
  readonly value: unknown;
  /** Read from the checkout for certain (false), or a guess from what things look like (true). */
  readonly guessed: boolean;
  readonly why: string;
  /** The checkout file it was read from, and the line. */
  readonly file?: string;
  readonly line?: number;
}

export interface ProposedProfile {
  readonly profile: ProfileInput;
  readonly inferences: readonly Inference[];
  /** What the checkout does not say, for the user to fill in. */
  readonly missing: readonly string[];
}

const IMAGE_ROLES: readonly [RunbookService, RegExp][] = [
  ["db", /(^|\/)(postgres|postgis|timescale\w*)(:|$)/],
  ["redis", /(^|\/)(redis|valkey|keydb)(:|$)/],
  ["frontend", /(^|\/)(nginx|openresty)(:|$)/],
  ["prometheus", /(^|\/)prometheus(:|$)/],
  ["alertmanager", /(^|\/)alertmanager(:|$)/],
  ["grafana", /(^|\/)grafana(:|$)/],
];

const APP_SERVERS = /(^|\/)(uvicorn|gunicorn|hypercorn)$|^-m$/;

export async function proposeProfile(dir: string): Promise<ProposedProfile> {
  const checkout = await Checkout.open(dir, RUNBOOK_PROFILE, undefined);
  const profile: ProfileInput & Record<string, unknown> = {};
  const inferences: Inference[] = [];
  const missing: string[] = [];
  const set = (
    key: string,
    value: unknown,
    how: { guess?: string; found?: string; file?: string | undefined; line?: number | undefined },
  ) => {
    const steps = key.split(".");
    let target: Record<string, unknown> = profile;
    for (const step of steps.slice(0, -1)) {
      target[step] ??= {};
      target = target[step] as Record<string, unknown>;
    }
    target[steps.at(-1) ?? key] = value;
    inferences.push({
      key,
      value,
      guessed: how.guess !== undefined,
      why: how.guess ?? how.found ?? "",
      ...(how.file === undefined ? {} : { file: how.file }),
      ...(how.line === undefined ? {} : { line: how.line }),
    });
  };

  // Compose: the file, its project name, which service plays each runbook part.
  const composePath = checkout.composeFiles()[0];
  const compose = composePath === undefined ? undefined : await checkout.yaml(composePath);
  const {
    services,
    definedIn,
    mountsOf,
    envFiles: composeEnvFiles,
  } = composeServices(await checkout.composeDocuments(checkout.composeFiles()));
  if (composePath === undefined)
    missing.push(
      "compose.files: no compose file (compose.yaml, docker-compose.yml...) anywhere in the checkout",
    );
  else if (composePath !== RUNBOOK_PROFILE.compose.files[0])
    set("compose.files", checkout.composeFiles(), {
      found: `the compose file is ${composePath}`,
      file: composePath,
    });
  const projectName = looseText(looseObject(compose?.data)["name"]);
  if (projectName !== "" && projectName !== RUNBOOK_PROFILE.compose.project)
    set("compose.project", projectName, {
      found: `\`name: ${projectName}\` in ${composePath ?? ""}`,
      file: composePath,
    });
  const roles = new Map<RunbookService, string>();
  for (const role of RUNBOOK_SERVICES) {
    if (role in services) {
      roles.set(role, role);
      continue;
    }
    const candidate = Object.entries(services).find(
      ([name, raw]) => ![...roles.values()].includes(name) && playsRole(role, looseObject(raw)),
    );
    if (candidate === undefined) {
      // A compose file without a backend is what the runbook wants: the backend runs under systemd.
      if (compose !== undefined && role !== "backend") {
        set(`compose.services.${role}`, null, {
          file: composePath,
          guess: `no compose service looks like the runbook's ${role}: marked as not deployed`,
        });
        missing.push(`compose.services.${role}: no compose service is the runbook's ${role}`);
      }
      continue;
    }
    roles.set(role, candidate[0]);
    set(`compose.services.${role}`, candidate[0], {
      file: definedIn(candidate[0])?.file,
      line: definedIn(candidate[0])?.lineOf(["services", candidate[0]]),
      guess: `${candidate[0]} ${whyRole(role, looseObject(candidate[1]))}`,
    });
  }

  // Units: by the runbook's names, else by what they run.
  const units = await checkout.unitFiles();
  const byName = (name: string) => units.find((u) => u.name === name);
  const pick = (
    role: "backend" | "streamer" | "update" | "timer",
    test: (u: UnitFile) => string | undefined,
  ): UnitFile | undefined => {
    const named = byName(RUNBOOK_PROFILE.units[role]);
    if (named !== undefined) return named;
    for (const unit of units) {
      const why = test(unit);
      if (why === undefined) continue;
      set(`units.${role}`, unit.name, { guess: `${unit.files[0] ?? unit.name} ${why}`, file: unit.files[0] });
      return unit;
    }
    missing.push(`units.${role}: no unit ${RUNBOOK_PROFILE.units[role]}, and none that looks like it`);
    return undefined;
  };
  const backend = pick("backend", (u) =>
    u.type === "service" &&
    commandWords(u.get("Service", "ExecStart")?.value ?? "").some((w) => APP_SERVERS.test(w)) &&
    backendBind(u) !== undefined
      ? "runs an ASGI server (uvicorn, gunicorn or hypercorn)"
      : undefined,
  );
  const streamer = pick("streamer", (u) =>
    u !== backend &&
    u.type === "service" &&
    /stream|bot|telegram/i.test(`${u.name} ${u.get("Unit", "Description")?.value ?? ""}`) &&
    !/yt-?dlp|update|refresh/i.test(u.name)
      ? "is named or described as the streamer"
      : undefined,
  );
  const timer = pick("timer", (u) =>
    u.type === "timer" &&
    (/yt-?dlp/i.test(`${u.name} ${u.get("Unit", "Description")?.value ?? ""}`) ||
      units.filter((x) => x.type === "timer").length === 1)
      ? "is the checkout's yt-dlp timer"
      : undefined,
  );
  const update = pick("update", (u) => {
    const target =
      timer?.get("Timer", "Unit")?.value ?? (timer === undefined ? undefined : `${timer.stem}.service`);
    return u.name === target ? `is the service ${timer?.name ?? "the timer"} starts` : undefined;
  });
  const unitFiles = [backend, streamer, update, timer].flatMap((u) =>
    u?.files[0] === undefined ? [] : [u.files[0]],
  );
  const unitDirs = [...new Set(unitFiles.map((f) => path.dirname(f)))];
  if (unitDirs.length === 1 && unitDirs[0] !== RUNBOOK_PROFILE.units.dir)
    set("units.dir", unitDirs[0], { found: `the units are in ${unitDirs[0] ?? ""}/`, file: unitFiles[0] });
  else if (unitDirs.length > 1)
    missing.push(
      `units.dir: the units are in several folders (${unitDirs.join(", ")}); the profile names one`,
    );

  // The stack's root on the host: the prefix of the units' paths that maps them into the checkout.
  const root = stackRoot(
    checkout,
    [backend, streamer, update].flatMap((u) => (u === undefined ? [] : hostPaths(u))),
  );
  if (root !== undefined && root !== RUNBOOK_PROFILE.root)
    set("root", root, { found: `the units' paths are under ${root}`, file: unitFiles[0] });
  const effectiveRoot = root ?? RUNBOOK_PROFILE.root;
  // Without `name:`, compose names the project after the folder of its first file on the host: the
  // prefix of the container names the runbook's commands type.
  if (projectName === "" && composePath !== undefined) {
    const folder = path.posix.basename(path.posix.dirname(path.posix.join(effectiveRoot, composePath)));
    const project = folder.toLowerCase().replace(/[^a-z0-9_-]/g, "");
    if (project !== "" && project !== RUNBOOK_PROFILE.compose.project)
      set("compose.project", project, {
        found: `compose names the project after its folder ${folder} (the file has no \`name:\`)`,
        file: composePath,
      });
  }
  const toCheckout = (hostPath: string) =>
    hostPath.startsWith(`${effectiveRoot}/`) ? hostPath.slice(effectiveRoot.length + 1) : undefined;

  const script = commandWords(update?.get("Service", "ExecStart")?.value ?? "")
    .map(toCheckout)
    .find((f) => f !== undefined && checkout.has(f));
  if (script !== undefined && script !== RUNBOOK_PROFILE.scripts.update)
    set("scripts.update", script, { found: `${update?.name ?? ""} runs it`, file: script });
  else if (script === undefined && !checkout.has(RUNBOOK_PROFILE.scripts.update))
    missing.push("scripts.update: no update script found");

  const bind = backend === undefined ? undefined : backendBind(backend);
  if (bind !== undefined && bind.port !== RUNBOOK_PROFILE.backend.port)
    set("backend.port", bind.port, {
      found: `${backend?.name ?? ""} listens on ${bind.port}`,
      file: backend?.files[0],
    });
  const health = backend === undefined ? undefined : await healthRoute(checkout, backend, toCheckout);
  if (health !== undefined && health !== "/health")
    set("backend.health", [health], { guess: `a route in the backend's code` });

  // Configuration the compose services mount from the checkout.
  // The checkout file a service's container sees at a path: a file mount of it, or a folder mount above it.
  const mountedAt = (role: RunbookService, paths: readonly string[]) => {
    const name = roles.get(role);
    const mounts = name === undefined ? [] : mountsOf(name);
    for (const inContainer of paths) {
      for (const mount of [...mounts].sort((a, b) => b.target.length - a.target.length)) {
        const file =
          inContainer === mount.target
            ? mount.source
            : inContainer.startsWith(`${mount.target}/`)
              ? path.join(mount.source, inContainer.slice(mount.target.length + 1))
              : undefined;
        if (file !== undefined && checkout.has(file)) return { source: file, target: inContainer };
      }
    }
    return undefined;
  };
  const nginxTargets = mountsOf(roles.get("frontend") ?? "")
    .filter((m) => m.target.startsWith("/etc/nginx/"))
    .flatMap((m) =>
      checkout.has(m.source)
        ? [m.target]
        : checkout.files
            .filter((f) => f.startsWith(`${m.source}/`) && f.endsWith(".conf"))
            .map((f) => path.join(m.target, f.slice(m.source.length + 1))),
    )
    .filter((t) => t.endsWith(".conf"));
  const configs = [
    ["nginx.conf", mountedAt("frontend", nginxTargets), RUNBOOK_PROFILE.nginx.conf, "frontend"],
    [
      "monitoring.prometheus",
      mountedAt("prometheus", ["/etc/prometheus/prometheus.yml"]),
      RUNBOOK_PROFILE.monitoring.prometheus,
      "prometheus",
    ],
    [
      "monitoring.alertmanager",
      mountedAt("alertmanager", ["/etc/alertmanager/alertmanager.yml", "/etc/alertmanager/config.yml"]),
      RUNBOOK_PROFILE.monitoring.alertmanager,
      "alertmanager",
    ],
  ] as const;
  for (const [key, mount, runbookPath, role] of configs) {
    if (mount !== undefined && mount.source !== runbookPath)
      set(key, mount.source, {
        found: `${roles.get(role) ?? ""} mounts it at ${mount.target}`,
        file: mount.source,
      });
  }
  const prometheusMount = configs[1][1];
  const prometheusConfig = await checkout.yaml(
    prometheusMount?.source ?? RUNBOOK_PROFILE.monitoring.prometheus,
  );
  const rules = ruleFilesIn(
    checkout,
    prometheusConfig,
    roles.get("prometheus") === undefined ? [] : mountsOf(roles.get("prometheus") ?? ""),
  );
  if (rules.length > 0 && JSON.stringify(rules) !== JSON.stringify(RUNBOOK_PROFILE.monitoring.rules))
    set("monitoring.rules", rules, { found: "Prometheus' rule_files, through its mounts", file: rules[0] });

  // Prometheus jobs and the streamer's liveness.
  const { targets } = scrapeTargets(prometheusConfig?.data);
  const backendPort = bind?.port ?? RUNBOOK_PROFILE.backend.port;
  const composeBackend = roles.get("backend");
  const backendTarget =
    targets.find((t) => t.job === RUNBOOK_PROFILE.prometheus.jobs.backend) ??
    targets.find((t) => t.port === backendPort) ??
    targets.find((t) => t.host === composeBackend) ??
    targets.find((t) => /^(api|backend)$/i.test(t.job));
  const backendJob = backendTarget?.job;
  if (backendTarget !== undefined && backendTarget.job !== RUNBOOK_PROFILE.prometheus.jobs.backend)
    set("prometheus.jobs.backend", backendTarget.job, {
      guess: `job ${backendTarget.job} scrapes ${backendTarget.host}:${backendTarget.port ?? ""}, ${backendTarget.port === backendPort ? "the backend's port" : "the backend by name"}`,
      file: prometheusConfig?.file,
    });
  const streamerJob =
    targets.find((t) => t.job === RUNBOOK_PROFILE.prometheus.jobs.streamer)?.job ??
    targets.find((t) => /stream|bot/i.test(t.job))?.job;
  if (streamerJob !== undefined && streamerJob !== RUNBOOK_PROFILE.prometheus.jobs.streamer)
    set("prometheus.jobs.streamer", streamerJob, {
      guess: `job ${streamerJob} is named like the streamer`,
      file: prometheusConfig?.file,
    });
  if (streamerJob !== undefined)
    set(
      "streamer.liveness",
      { kind: "metric", query: `up{job="${streamerJob}"} == 1` },
      {
        guess: `the streamer is scraped as job ${streamerJob}: up means its process answers`,
        file: prometheusConfig?.file,
      },
    );
  else
    missing.push(
      "streamer.liveness: nothing in the checkout tells whether the streamer works (no metrics job for it); give a metric, a command, a log line or a Redis key",
    );
  if (backendJob === undefined && targets.length > 0)
    missing.push(`prometheus.jobs.backend: no scrape job targets port ${backendPort}`);

  // Env files the deployment reads, with the variables their examples leave empty.
  const envFiles = [
    ...composeEnvFiles,
    ...[backend, streamer, update].flatMap(
      (u) =>
        u?.all("Service", "EnvironmentFile").flatMap((a) => toCheckout(a.value.replace(/^-/, "")) ?? []) ??
        [],
    ),
  ];
  const env = await Promise.all(
    [...new Set(envFiles)].map(async (file) => {
      const example = checkout.exampleOf(file);
      const text = example === undefined ? undefined : await checkout.read(example);
      const needs =
        text === undefined
          ? []
          : parseEnvFile(text.text)
              .filter((v) => !v.hasValue)
              .map((v) => v.name);
      return { file, ...(example === undefined ? {} : { example }), needs };
    }),
  );
  if (env.length > 0)
    set("env", env, { found: "the env files compose and the units read", file: env[0]?.example });

  const users = [
    ...new Set(
      [backend, streamer, update]
        .flatMap((u) => u?.get("Service", "User")?.value ?? [])
        .filter((u) => u !== "root" && u !== "0"),
    ),
  ];
  if (users.length > 0) set("users", users, { found: "the units' User=", file: unitFiles[0] });
  const guessed = inferences.filter((i) => i.guessed);
  if (guessed.length > 0) profile["guessed"] = Object.fromEntries(guessed.map((i) => [i.key, i.why]));
  return { profile, inferences, missing };
}

/** Whether a compose service looks like it plays a runbook role (its image, its command, its build). */
function playsRole(role: RunbookService, service: LooseObject): boolean {
  return whyRole(role, service) !== "";
}

/** Why a compose service looks like it plays a runbook role, or "" when it does not. */
function whyRole(role: RunbookService, service: LooseObject): string {
  const image = looseText(service["image"]);
  const byImage = IMAGE_ROLES.find(([r]) => r === role)?.[1];
  if (byImage !== undefined && byImage.test(image)) return `runs ${image}`;
  if (role === "backend") {
    const command =
      looseList(service["command"])
        .map((w) => looseText(w))
        .join(" ") || looseText(service["command"]);
    if (/\b(uvicorn|gunicorn|hypercorn)\b/.test(command)) return "runs an ASGI server";
    const build = looseText(service["build"]) || looseText(looseObject(service["build"])["context"]);
    if (/(^|\/)backend\/?$/.test(build)) return `is built from ${build}`;
  }
  return "";
}

/** Bind mounts of a compose service in either syntax, as checkout paths. */
export function bindMounts(service: LooseObject, composeDir: string): { source: string; target: string }[] {
  return looseList(service["volumes"]).flatMap((volume) => {
    let source: string;
    let target: string;
    if (typeof volume === "string") {
      const [from = "", to = ""] = volume.split(":");
      [source, target] = [from, to];
    } else {
      [source, target] = [looseText(looseObject(volume)["source"]), looseText(looseObject(volume)["target"])];
    }
    if (!source.startsWith(".") && !source.startsWith("/")) return []; // a named volume
    if (source.startsWith("/")) return [];
    return [{ source: path.normalize(path.join(composeDir, source)), target }];
  });
}

/**
 * The compose services of the checkout's compose documents (see Checkout.composeDocuments): each
 * merged across the files that define it (a later key wins), where it is first defined, its bind
 * mounts and env files resolved against the file that names them.
 */
function composeServices(documents: readonly YamlFile[]): {
  services: LooseObject;
  definedIn: (name: string) => YamlFile | undefined;
  mountsOf: (name: string) => { source: string; target: string }[];
  envFiles: string[];
} {
  const definitions = new Map<string, { raw: LooseObject; yaml: YamlFile }[]>();
  for (const yaml of documents) {
    for (const [name, raw] of Object.entries(looseObject(looseObject(yaml.data)["services"]))) {
      definitions.set(name, [...(definitions.get(name) ?? []), { raw: looseObject(raw), yaml }]);
    }
  }
  const services: LooseObject = Object.fromEntries(
    [...definitions].map(([name, defs]) => [
      name,
      Object.assign({}, ...defs.map((d) => d.raw)) as LooseObject,
    ]),
  );
  const mountsOf = (name: string) => {
    const byTarget = new Map<string, { source: string; target: string }>();
    for (const { raw, yaml } of definitions.get(name) ?? [])
      for (const mount of bindMounts(raw, path.dirname(yaml.file))) byTarget.set(mount.target, mount);
    return [...byTarget.values()];
  };
  const envFiles = documents.flatMap((yaml) =>
    envFilesOf(looseObject(looseObject(yaml.data)["services"]), path.dirname(yaml.file)),
  );
  return { services, definedIn: (name) => definitions.get(name)?.[0]?.yaml, mountsOf, envFiles };
}

function envFilesOf(services: LooseObject, composeDir: string): string[] {
  return Object.values(services).flatMap((raw) => {
    const envFile = looseObject(raw)["env_file"];
    const entries = Array.isArray(envFile) ? envFile : envFile === undefined ? [] : [envFile];
    return entries.flatMap((entry) => {
      const given = typeof entry === "string" ? entry : looseText(looseObject(entry)["path"]);
      return given === "" ? [] : [path.normalize(path.join(composeDir, given))];
    });
  });
}

/** The absolute paths a unit names (WorkingDirectory, commands, env files). */
function hostPaths(unit: UnitFile): string[] {
  return unit.assignments
    .filter((a) => a.key === "WorkingDirectory" || a.key.startsWith("Exec") || a.key === "EnvironmentFile")
    .flatMap((a) => commandWords(a.value).map((w) => w.replace(/^-/, "")))
    .filter((w) => w.startsWith("/"));
}

/** The host folder the checkout is deployed to: the prefix whose removal maps the most unit paths into it. */
function stackRoot(checkout: Checkout, paths: readonly string[]): string | undefined {
  const votes = new Map<string, number>();
  for (const hostPath of paths) {
    const parts = hostPath.split("/").filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const rel = parts.slice(i).join("/");
      if (checkout.has(rel) || checkout.files.some((f) => f.startsWith(`${rel}/`))) {
        const root = `/${parts.slice(0, i).join("/")}`;
        votes.set(root, (votes.get(root) ?? 0) + 1);
        break;
      }
    }
  }
  return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * A route with "health" in it, in the Python code under the backend's working directory, with the
 * prefix of the FastAPI router it is declared on (`APIRouter(prefix="/api")`, `include_router(…,
 * prefix="/api")`): the path the backend serves.
 */
async function healthRoute(
  checkout: Checkout,
  backend: UnitFile,
  toCheckout: (p: string) => string | undefined,
): Promise<string | undefined> {
  const workdir = toCheckout(backend.get("Service", "WorkingDirectory")?.value.replace(/^-/, "") ?? "");
  if (workdir === undefined) return undefined;
  const files = checkout.files.filter((f) => f.startsWith(`${workdir}/`) && f.endsWith(".py"));
  const texts = await Promise.all(files.map(async (file) => (await checkout.read(file))?.text ?? ""));
  for (const text of texts) {
    // FastAPI's and Flask's `@app.get("/health")`, `@app.route(...)`, or a `@route("GET", "/health")` of its own.
    const match =
      /@(?:(\w+)\.)?(?:get|api_route|route)\(\s*(?:["'][A-Z]+["']\s*,\s*)?["'](\/[^"']*health[^"']*)["']/.exec(
        text,
      );
    const route = match?.[2];
    if (route === undefined) continue;
    const router = match?.[1];
    if (router === undefined) return route;
    const prefix = (pattern: RegExp, in_: readonly string[]) =>
      in_.map((t) => pattern.exec(t)?.[1]).find((p) => p !== undefined) ?? "";
    const own = prefix(new RegExp(`\\b${router}\\s*=\\s*APIRouter\\([^)]*prefix\\s*=\\s*["']([^"']*)["']`), [
      text,
    ]);
    const included = prefix(
      new RegExp(`include_router\\(\\s*[\\w.]*\\b${router}\\b[^)]*prefix\\s*=\\s*["']([^"']*)["']`),
      texts,
    );
    return `${included}${own}${route}`.replace(/\/{2,}/g, "/");
  }
  return undefined;
}

function ruleFilesIn(
  checkout: Checkout,
  prometheus: YamlFile | undefined,
  mounts: readonly { source: string; target: string }[],
): string[] {
  const declared = looseList(looseObject(prometheus?.data)["rule_files"]).map((r) => looseText(r));
  return declared.flatMap((pattern) => {
    const dir = pattern.includes("*") ? path.posix.dirname(pattern) : pattern;
    const mount = mounts.find((m) => dir === m.target || dir.startsWith(`${m.target}/`));
    if (mount === undefined) return [];
    const mapped = path.join(mount.source, dir.slice(mount.target.length));
    if (!pattern.includes("*")) return checkout.has(mapped) ? [mapped] : [];
    const suffix = path.posix.basename(pattern).replace(/^\*/, "");
    return checkout.files.filter((f) => path.dirname(f) === mapped && f.endsWith(suffix));
  });
}

/** The profile as init writes it. */
export function profileJson(proposed: ProposedProfile): string {
  return `${JSON.stringify(proposed.profile, null, 2)}\n`;
}
