import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { UsageError } from "../errors.ts";
import { describeIssues } from "../parse/schema-issues.ts";
import { SERVICES, type Service } from "../images/catalogue.ts";

/**
 * A stack profile (`sattva-chaos.json` at a checkout's root) says only where the checkout differs
 * from the runbook: paths, unit and service names, health endpoints, Prometheus jobs, how to tell the
 * streamer is alive, env files, service users. Every default is the runbook's (or, where the runbook
 * is silent, the bundled stack's). Validated at load: an unknown key or a wrong type is named with its path.
 */
export const PROFILE_FILE = "sattva-chaos.json";

const relativePath = z
  .string()
  .refine(
    (value) => value !== "" && !path.isAbsolute(value) && !path.normalize(value).startsWith(".."),
    "expected a path relative to the checkout, inside it",
  );
const unitName = (type: "service" | "timer") =>
  z.string().regex(new RegExp(`^[\\w@.:-]+\\.${type}$`), `expected a unit name ending in .${type}`);
const composeService = z
  .string()
  .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, "expected a compose service name")
  .nullable();

/** Probes a deployment may offer beyond what the runbook promises (the bundled stack has both). */
export const CAPABILITIES = ["streamer-heartbeat", "markers-api"] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** The services the runbook names, by the role they play; the profile maps each to the checkout's name. */
export const RUNBOOK_SERVICES = [
  "db",
  "redis",
  "frontend",
  "backend",
  "prometheus",
  "grafana",
  "alertmanager",
] as const;
export type RunbookService = (typeof RUNBOOK_SERVICES)[number];

/** The harness image each runbook service runs offline (the backend's image is made from its venv). */
export const RUNBOOK_SERVICE_IMAGES: Readonly<Partial<Record<RunbookService, Service>>> = {
  db: "postgres",
  redis: "redis",
  frontend: "nginx",
  prometheus: "prometheus",
  grafana: "grafana",
  alertmanager: "alertmanager",
};

const liveness = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("metric"),
      query: z
        .string()
        .min(1)
        .describe("a PromQL expression that is 1 (or above 0) while the streamer works"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("command"),
      command: z
        .string()
        .min(1)
        .describe("a shell command on the host that exits 0 while the streamer works"),
    })
    .strict(),
  z
    .object({
      kind: z.literal("log"),
      pattern: z.string().min(1).describe("a regular expression a healthy streamer logs (journalctl -u)"),
      withinSeconds: z.number().int().positive().default(60),
    })
    .strict(),
  z
    .object({
      kind: z.literal("redis-key"),
      key: z.string().min(1).describe("a key the streamer refreshes in Redis"),
      maxAgeSeconds: z.number().int().positive().default(60),
    })
    .strict(),
]);

export const ProfileSchema = z
  .object({
    $schema: z.string().optional().describe("the JSON Schema of this file, for editors"),
    guessed: z
      .record(z.string(), z.string())
      .optional()
      .describe("what `sattva-chaos init` guessed, by key path, and why: check each, then remove its entry"),
    root: z
      .string()
      .regex(/^\/\S*[^/]$/, "expected an absolute path on the host, without a trailing slash")
      .default("/opt/sattva-streamer")
      .describe("where the stack lives on the host: the units' paths and the runbook's `cd` name it"),
    runbook: relativePath
      .optional()
      .describe(
        "the deployment's runbook, when it is not DEPLOYMENT_ARCHITECTURE.md at the checkout's root (`--runbook` overrides)",
      ),
    compose: z
      .object({
        files: z
          .array(relativePath)
          .min(1)
          .default(["docker-compose.yml"])
          .describe("the compose file(s), in -f order"),
        project: z
          .string()
          .default("sattva-streamer")
          .describe("the compose project name the runbook's container names use"),
        services: z
          .object(
            Object.fromEntries(RUNBOOK_SERVICES.map((s) => [s, composeService.optional()])) as Record<
              RunbookService,
              z.ZodOptional<typeof composeService>
            >,
          )
          .strict()
          .prefault({})
          .describe("the runbook's service -> the checkout's compose service name (null: not deployed)"),
        images: z
          .record(z.string(), z.enum(SERVICES))
          .default({})
          .describe(
            "a compose service -> the harness image it runs offline, for services the runbook does not name",
          ),
      })
      .strict()
      .prefault({}),
    units: z
      .object({
        dir: relativePath.default("systemd").describe("the folder the unit files are in"),
        backend: unitName("service").default("sattva-backend.service"),
        streamer: unitName("service").default("sattva-streamer.service"),
        update: unitName("service").default("yt-dlp-update.service"),
        timer: unitName("timer").default("yt-dlp-update.timer"),
      })
      .strict()
      .prefault({}),
    scripts: z
      .object({
        update: relativePath
          .default("scripts/yt-dlp-update.sh")
          .describe("the script the update service runs"),
      })
      .strict()
      .prefault({}),
    nginx: z
      .object({ conf: relativePath.default("frontend/nginx.conf").describe("the frontend's server block") })
      .strict()
      .prefault({}),
    monitoring: z
      .object({
        prometheus: relativePath.default("monitoring/prometheus.yml"),
        rules: z.array(relativePath).default(["monitoring/alert-rules.yml"]),
        alertmanager: relativePath.default("monitoring/alertmanager.yml"),
      })
      .strict()
      .prefault({}),
    backend: z
      .object({
        port: z
          .number()
          .int()
          .min(1)
          .max(65535)
          .default(8000)
          .describe("the port the backend unit listens on"),
        health: z
          .array(z.string().regex(/^\//, "expected a URL path starting with /"))
          .min(1)
          .default(["/health"])
          .describe(
            "the backend's health endpoint(s), as the backend serves them (nginx adds /api, unless the path has it: /api/health)",
          ),
      })
      .strict()
      .prefault({}),
    prometheus: z
      .object({
        jobs: z
          .object({
            backend: z.string().default("sattva-backend"),
            streamer: z.string().default("sattva-streamer"),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    streamer: z
      .object({ liveness: liveness.optional().describe("how to tell the streamer is alive") })
      .strict()
      .prefault({}),
    env: z
      .array(
        z
          .object({
            file: relativePath.describe(
              "an env file the deployment reads (compose env_file, EnvironmentFile=)",
            ),
            example: relativePath.optional().describe("the checked-in example it is made from"),
            needs: z
              .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a variable name"))
              .default([])
              .describe("variables that need a test value"),
          })
          .strict(),
      )
      .default([]),
    users: z
      .array(z.string().regex(/^[a-z_][a-z0-9_-]*$/, "expected a user name"))
      .default([])
      .describe("service users the units run as, to create on a test host"),
    capabilities: z
      .array(z.enum(CAPABILITIES))
      .default([])
      .describe(
        "probes this deployment supports beyond the runbook's: streamer-heartbeat (the streamer keeps a JSON heartbeat with its last extraction in the Redis key sattva:streamer:heartbeat), markers-api (the backend writes and reads marker rows at /api/markers)",
      ),
  })
  .strict();

export type Profile = z.infer<typeof ProfileSchema>;
export type ProfileInput = z.input<typeof ProfileSchema>;

/** The runbook's profile: what a checkout with no sattva-chaos.json is audited against. */
export const RUNBOOK_PROFILE: Profile = ProfileSchema.parse({});

/** The compose service playing a runbook role in this checkout (undefined: not deployed). */
export function composeServiceFor(profile: Profile, role: RunbookService): string | undefined {
  const named = profile.compose.services[role];
  return named === null ? undefined : (named ?? role);
}

export interface LoadedProfile {
  readonly profile: Profile;
  /** The profile file read, or undefined when the checkout has none (the runbook's layout). */
  readonly file: string | undefined;
  /** The file's own JSON: what it states, before defaults. */
  readonly stated: ProfileInput;
}

/** Reads `sattva-chaos.json` at a checkout's root; bad JSON or a bad key is a UsageError naming its path. */
export async function loadProfile(dir: string): Promise<LoadedProfile> {
  const file = path.join(dir, PROFILE_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return { profile: RUNBOOK_PROFILE, file: undefined, stated: {} };
  }
  let json: unknown;
  try {
    // A byte-order mark (Windows editors write one) is no part of the JSON.
    json = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  return { profile: parseProfile(json, file), file, stated: json as ProfileInput };
}

export function parseProfile(json: unknown, file: string): Profile {
  const result = ProfileSchema.safeParse(json);
  if (result.success) return result.data;
  const problems = describeIssues(ProfileSchema, result.error.issues, json, RENAMED);
  throw new UsageError(`${file} is not a valid profile:\n${problems.map((p) => `  ${p}`).join("\n")}`);
}

/** Keys of the profile's first form (a flat layout), and where each now lives. */
const RENAMED: Readonly<Record<string, string>> = {
  unitsDir: "units.dir",
  composeFile: "compose.files (a list)",
  composeServices: "compose.images",
};

/** Whether a profile's own JSON states a key path (`units.dir`), or an object above it wholesale. */
export function statesKey(stated: unknown, key: string): boolean {
  let value = stated;
  for (const step of key.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
    if (!(step in value)) return false;
    value = (value as Record<string, unknown>)[step];
  }
  return true;
}

/** `base` with `over` laid on top: objects merged key by key, anything else (arrays too) replaced. */
export function overlay(base: unknown, over: unknown): unknown {
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(base) || !isObject(over)) return over === undefined ? base : over;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) merged[key] = overlay(base[key], value);
  return merged;
}

/**
 * A backend path as users ask nginx for it: the runbook's `location /api/` passes the path on as it is,
 * so a backend serving `/api/health` (a router under /api) is reached at that path, and one serving
 * `/health` at `/api/health` (the bundled backend serves both, as the runbook's nginx and curl need).
 */
export function throughNginx(backendPath: string): string {
  return backendPath === "/api" || backendPath.startsWith("/api/") ? backendPath : `/api${backendPath}`;
}
