import { access } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.ts";
import type { Service } from "../images/catalogue.ts";
import {
  composeServiceFor,
  loadProfile,
  RUNBOOK_PROFILE,
  RUNBOOK_SERVICE_IMAGES,
  type Profile,
  type RunbookService,
} from "../profile/profile.ts";

/** The reference deployment shipped with the harness, laid out like production's /opt/sattva-streamer. */
export const BUNDLED_STACK = fileURLToPath(new URL("../../fixtures/stacks/bundled/", import.meta.url));

/** Where production keeps the stack; the runbook's units and commands name this path. */
export const STACK_ROOT = "/opt/sattva-streamer";

/**
 * Where a stack checkout keeps each part, relative to its root, as its profile (`sattva-chaos.json`,
 * see harness/profile/) says; without one, the runbook's layout, which the bundled stack follows.
 */
export interface StackLayout {
  readonly composeFile: string;
  readonly unitsDir: string;
  /** Compose service name -> the catalogue service whose image it runs. */
  readonly composeServices: Readonly<Record<string, Service>>;
}

export function layoutOf(profile: Profile): StackLayout {
  const roles = Object.entries(RUNBOOK_SERVICE_IMAGES).flatMap(([role, image]) => {
    const name = composeServiceFor(profile, role as RunbookService);
    return name === undefined ? [] : [[name, image] as const];
  });
  return {
    composeFile: profile.compose.files[0] ?? "docker-compose.yml",
    unitsDir: profile.units.dir,
    composeServices: { ...Object.fromEntries(roles), ...profile.compose.images },
  };
}

export const DEFAULT_LAYOUT: StackLayout = layoutOf(RUNBOOK_PROFILE);

/** Files every stack must have to be deployed, each with what it is for (named when one is missing). */
function requiredFiles(profile: Profile): [string, string][] {
  const unit = (name: string) => path.join(profile.units.dir, name);
  return [
    [profile.compose.files[0] ?? "docker-compose.yml", "the Docker Compose file (project sattva-streamer)"],
    [unit(profile.units.backend), "the backend's systemd unit"],
    [unit(profile.units.streamer), "the streamer's systemd unit"],
    [unit(profile.units.update), "the yt-dlp update service"],
    [unit(profile.units.timer), "the daily yt-dlp update timer"],
    [profile.scripts.update, "the yt-dlp update script the timer runs"],
    ["backend/requirements.txt", "the backend's Python requirements"],
    ["backend/src/main.py", "the backend's FastAPI app (src.main:app)"],
    ["streamer/requirements.txt", "the streamer's Python requirements (yt-dlp)"],
    ["streamer/main.py", "the streamer's entry point"],
    [profile.nginx.conf, "nginx's server block (proxy_pass to 172.17.0.1:8000)"],
    [profile.monitoring.prometheus, "Prometheus' scrape configuration"],
    [profile.monitoring.alertmanager, "Alertmanager's routing"],
  ];
}

export interface StackDir {
  readonly dir: string;
  readonly layout: StackLayout;
}

/**
 * Reads a stack directory's profile and checks it has every file a deployment needs, naming the first
 * one missing. (`sattva-chaos audit` reports every difference instead of stopping at the first.)
 */
export async function openStackDir(dir: string): Promise<StackDir> {
  const root = path.resolve(dir);
  try {
    await access(root);
  } catch {
    throw new UsageError(
      `--stack ${dir}: no such directory (expected a checkout laid out like /opt/sattva-streamer)`,
    );
  }
  const { profile } = await loadProfile(root);
  for (const [file, purpose] of requiredFiles(profile)) {
    try {
      await access(path.join(root, file));
    } catch {
      throw new UsageError(
        `--stack ${dir}: missing ${file}, ${purpose} (\`sattva-chaos audit --stack ${dir}\` lists every difference from the runbook)`,
      );
    }
  }
  return { dir: root, layout: layoutOf(profile) };
}
