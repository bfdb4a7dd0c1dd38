import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.ts";
import { parseService, type Service } from "../images/catalogue.ts";

/** The reference deployment shipped with the harness, laid out like production's /opt/sattva-streamer. */
export const BUNDLED_STACK = fileURLToPath(new URL("../../fixtures/stacks/bundled/", import.meta.url));

/** Where production keeps the stack; the runbook's units and commands name this path. */
export const STACK_ROOT = "/opt/sattva-streamer";

/**
 * Where a stack checkout keeps each part, relative to its root. Defaults match the bundled stack and
 * production; a user's repository with another layout says so in `sattva-chaos.json` at its root
 * (e.g. `{ "unitsDir": "config/systemd" }`), so nobody has to move files to be tested.
 */
export interface StackLayout {
  readonly composeFile: string;
  readonly unitsDir: string;
  /** Compose service name -> the catalogue service whose image it runs. */
  readonly composeServices: Readonly<Record<string, Service>>;
}

export const DEFAULT_LAYOUT: StackLayout = {
  composeFile: "docker-compose.yml",
  unitsDir: "systemd",
  composeServices: {
    db: "postgres",
    redis: "redis",
    frontend: "nginx",
    prometheus: "prometheus",
    grafana: "grafana",
    alertmanager: "alertmanager",
  },
};

/** Files every stack must have, each with what it is for (used in the message when one is missing). */
function requiredFiles(layout: StackLayout): [string, string][] {
  const unit = (name: string) => path.join(layout.unitsDir, name);
  return [
    [layout.composeFile, "the Docker Compose file (project sattva-streamer)"],
    [unit("sattva-backend.service"), "the backend's systemd unit"],
    [unit("sattva-streamer.service"), "the streamer's systemd unit"],
    [unit("yt-dlp-update.service"), "the yt-dlp update service"],
    [unit("yt-dlp-update.timer"), "the daily yt-dlp update timer"],
    ["scripts/yt-dlp-update.sh", "the yt-dlp update script the timer runs"],
    ["backend/requirements.txt", "the backend's Python requirements"],
    ["backend/src/main.py", "the backend's FastAPI app (src.main:app)"],
    ["streamer/requirements.txt", "the streamer's Python requirements (yt-dlp)"],
    ["streamer/main.py", "the streamer's entry point"],
    ["frontend/nginx.conf", "nginx's server block (proxy_pass to 172.17.0.1:8000)"],
    ["monitoring/prometheus.yml", "Prometheus' scrape configuration"],
    ["monitoring/alertmanager.yml", "Alertmanager's routing"],
  ];
}

export interface StackDir {
  readonly dir: string;
  readonly layout: StackLayout;
}

/** Reads a stack directory's layout and checks it has every file, naming the first one missing. */
export async function openStackDir(dir: string): Promise<StackDir> {
  const root = path.resolve(dir);
  try {
    await access(root);
  } catch {
    throw new UsageError(
      `--stack ${dir}: no such directory (expected a checkout laid out like /opt/sattva-streamer)`,
    );
  }
  const layout = await readLayout(root);
  for (const [file, purpose] of requiredFiles(layout)) {
    try {
      await access(path.join(root, file));
    } catch {
      throw new UsageError(`--stack ${dir}: missing ${file}, ${purpose}`);
    }
  }
  return { dir: root, layout };
}

async function readLayout(root: string): Promise<StackLayout> {
  const configFile = path.join(root, "sattva-chaos.json");
  let text: string;
  try {
    text = await readFile(configFile, "utf8");
  } catch {
    return DEFAULT_LAYOUT;
  }
  let config: unknown;
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${configFile}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new UsageError(`${configFile}: expected an object such as { "unitsDir": "config/systemd" }`);
  }
  const known = new Set(Object.keys(DEFAULT_LAYOUT));
  for (const [key, value] of Object.entries(config)) {
    if (!known.has(key))
      throw new UsageError(`${configFile}: unknown key "${key}": expected one of ${[...known].join(", ")}`);
    if (key === "composeServices") {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw new UsageError(
          `${configFile}: "composeServices" must map compose services to images, e.g. { "db": "postgres" }`,
        );
      }
      for (const service of Object.values(value as Record<string, unknown>)) parseService(String(service));
    } else if (typeof value !== "string") {
      throw new UsageError(
        `${configFile}: "${key}" must be a path relative to the stack, got ${JSON.stringify(value)}`,
      );
    }
  }
  return { ...DEFAULT_LAYOUT, ...(config as Partial<StackLayout>) };
}
