import { stat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.ts";
import type { UnitFile } from "../parse/unit-file.ts";
import { commandWords } from "../parse/unit-file.ts";
import { isCronFile, parseCronFile, type CronEntry } from "../parse/crontab.ts";
import type { YamlFile } from "../parse/yaml-file.ts";
import { proposeProfile } from "../profile/init.ts";
import {
  loadProfile,
  overlay,
  parseProfile,
  composeServiceFor,
  RUNBOOK_PROFILE,
  statesKey,
  type Profile,
} from "../profile/profile.ts";
import { Checkout, UNIT_ROLES, type CheckoutText, type UnitRole } from "./checkout.ts";
import { inferredLayoutFindings, isLayoutKey, isReadingKey } from "./inferred-layout.ts";
import type { Finding } from "../findings/finding.ts";
import { RunEnv } from "../scenario/run-env.ts";
import {
  referenceRunbook,
  RUNBOOK_NAME,
  runbookFor,
  RunbookSections,
  useRunbook,
} from "../runbook/runbook.ts";

/**
 * A checkout read as a deployment of it would use it, with no host and no Docker: its profile (what
 * the user's states, and what the checkout itself says where it states nothing), the units playing the
 * runbook's parts, the compose files, the update script. What is elsewhere or missing is already a
 * layout finding on `checkout`.
 */
export interface CheckoutReading {
  readonly checkout: Checkout;
  readonly profile: Profile;
  readonly allUnits: readonly UnitFile[];
  readonly units: ReadonlyMap<UnitRole, UnitFile>;
  readonly composePaths: readonly string[];
  readonly composeYaml: readonly YamlFile[];
  /** Env files the compose files reference that the checkout lacks. */
  readonly missingEnvFiles: readonly string[];
  readonly updateScript: CheckoutText | undefined;
  /** Cron entries that run the yt-dlp update (instead of, or besides, the runbook's timer). */
  readonly updateCron: readonly CronEntry[];
}

export interface ReadCheckoutOptions {
  /** The runbook to judge the checkout by (`--runbook FILE`), instead of the checkout's own. */
  readonly runbook?: string | undefined;
}

/**
 * Reads a checkout, and makes its runbook the one under test; a path that is no directory, no
 * checkout, or has a bad profile or runbook path is a UsageError.
 */
export async function readCheckout(
  stack: string,
  options: ReadCheckoutOptions = {},
): Promise<CheckoutReading> {
  const dir = path.resolve(stack);
  const info = await stat(dir).catch(() => undefined);
  if (info?.isDirectory() !== true)
    throw new UsageError(`--stack ${stack}: no such directory (expected a checkout of the deployment)`);
  const loaded = await loadProfile(dir);
  const profileFile = loaded.file;
  // What the profile does not say is read from the checkout as `init` would (run without `init`
  // deploys what `init` would have written), and what departs from the runbook is reported as layout.
  const inferred = (await proposeProfile(dir)).inferences.filter(
    (i) => isReadingKey(i.key) && !statesKey(loaded.stated, i.key),
  );
  const inferredInput = inferred.reduce<unknown>((input, i) => overlay(input, keyed(i.key, i.value)), {});
  const profile = parseProfile(
    overlay(inferredInput, loaded.stated),
    profileFile ?? "the profile read from the checkout",
  );
  const checkout = await Checkout.open(dir, profile, profileFile, loaded.stated);
  // The checkout's own runbook is the one it is judged by; every citation from here on reads it.
  const judgedBy = runbookFor(dir, {
    explicit: options.runbook ?? process.env[RunEnv.runbook],
    profile: profile.runbook,
    found: checkout.named(RUNBOOK_NAME),
  });
  useRunbook(judgedBy.runbook);
  checkout.layoutFindings.push(...inferredLayoutFindings(inferred.filter((i) => isLayoutKey(i.key))));
  if (judgedBy.reference !== undefined)
    checkout.layoutFindings.push(referenceRunbookFinding(judgedBy.reference));
  const allUnits = await checkout.unitFiles();
  const composePaths = checkout.composeFiles();
  if (composePaths.length === 0 && allUnits.length === 0 && profileFile === undefined) {
    throw new UsageError(
      `--stack ${stack}: not a checkout of the deployment: no compose file, no systemd unit and no sattva-chaos.json in it`,
    );
  }

  const composeYaml = await checkout.composeDocuments(composePaths);
  const dockerBackend = composeServiceFor(profile, "backend");
  const backendInCompose =
    dockerBackend !== undefined &&
    composeYaml.some(
      (y) =>
        (y.data as { services?: Record<string, unknown> } | undefined)?.services?.[dockerBackend] !==
        undefined,
    );
  const updateCron = await updateCronEntries(checkout, path.basename(profile.scripts.update));
  const [cron] = updateCron;
  const units = new Map<UnitRole, (typeof allUnits)[number]>();
  for (const role of UNIT_ROLES) {
    const name = profile.units[role];
    const updatedBy =
      cron === undefined
        ? "yt-dlp is never updated: within weeks YouTube breaks extraction and the streamer stops"
        : `the runbook's \`systemctl enable --now yt-dlp-update.timer\` fails here (Unit not found); cron runs the update instead (${cron.file}:${String(cron.line)})`;
    const found = checkout.locate(
      {
        what: `unit:${role}`,
        description: `the ${role === "timer" ? "update timer" : role === "update" ? "update service" : role} unit ${name}`,
        severityIfMissing: role === "backend" || role === "streamer" ? "blocker" : "warning",
        impactIfMissing:
          role === "backend"
            ? backendInCompose
              ? `nothing runs the backend on the host: the compose service ${dockerBackend} could, but the runbook's start order leaves it out and its \`systemctl … sattva-backend\` commands fail (if the backend moved to Docker, the runbook did not follow)`
              : "nothing runs the backend on the host: every /api/ request gets 502"
            : role === "streamer"
              ? "nothing runs the streamer: no stream"
              : updatedBy,
        candidates: (c) => {
          const type = path.extname(name);
          const taken = new Set([...units.values()].map((u) => u.files[0]));
          return allUnits
            .filter((u) => u.name.endsWith(type) && !taken.has(u.files[0]) && u.name !== name)
            .map((u) => u.files[0] ?? u.name)
            .filter((f) => c.has(f));
        },
      },
      path.join(profile.units.dir, name),
      {
        search: () => checkout.named(name)[0],
        keys: ["units.dir", `units.${role}`],
        runbookPath: path.join(RUNBOOK_PROFILE.units.dir, RUNBOOK_PROFILE.units[role]),
      },
    );
    const unit = allUnits.find((u) => u.files[0] === found);
    if (unit !== undefined) units.set(role, unit);
  }

  const missingEnvFiles = composeEnvFiles(composeYaml)
    .filter((f) => f.required && !checkout.has(f.file))
    .map((f) => f.file);

  const updateExec = commandWords(units.get("update")?.get("Service", "ExecStart")?.value ?? "");
  const execScript = updateExec
    .map((w) => checkout.fromHost(w))
    .find((w) => w !== undefined && checkout.has(w) && !w.includes("venv/"));
  const cronScript = updateCron
    .flatMap((entry) => entry.command.split(/\s+/))
    .map((w) => checkout.fromHost(w))
    .find((w) => w !== undefined && checkout.has(w) && !w.includes("venv/"));
  const scriptPath = checkout.locate(
    {
      what: "script",
      description: "the yt-dlp update script",
      severityIfMissing: units.has("update") || updateCron.length > 0 ? "blocker" : "warning",
      impactIfMissing: "the update has nothing to run: yt-dlp is never updated",
    },
    profile.scripts.update,
    {
      actual: execScript ?? cronScript,
      search: () => checkout.named(path.basename(profile.scripts.update))[0],
      keys: ["scripts.update"],
      runbookPath: RUNBOOK_PROFILE.scripts.update,
    },
  );
  const updateScript = scriptPath === undefined ? undefined : await checkout.read(scriptPath);

  return {
    checkout,
    profile,
    allUnits,
    units,
    composePaths,
    composeYaml,
    missingEnvFiles,
    updateScript,
    updateCron,
  };
}

/** The cron entries in the checkout that run the update script or yt-dlp (a run-parts script by its text). */
async function updateCronEntries(checkout: Checkout, scriptName: string): Promise<CronEntry[]> {
  const entries: CronEntry[] = [];
  for (const file of checkout.files.filter(isCronFile)) {
    const text = (await checkout.read(file))?.text;
    if (text === undefined) continue;
    for (const entry of parseCronFile(file, text)) {
      const runs = entry.command === file ? text : entry.command;
      if (runs.includes(scriptName) || /yt[-_]dlp/i.test(runs)) entries.push(entry);
    }
  }
  return entries;
}

/** A checkout without a runbook of its own is judged by the reference, and says so. */
function referenceRunbookFinding(why: string): Finding {
  return {
    id: "layout.runbook",
    severity: "info",
    kind: "drift",
    subject: RUNBOOK_NAME,
    runbook: referenceRunbook().cite(
      RunbookSections.overview,
      "Проект использует **гибридную архитектуру** деплоймента",
    ),
    observed: `${why}: judged by the reference runbook bundled with sattva-chaos`,
    impact:
      "an engineer on call has no runbook in the repository, and the harness cannot tell where the deployment's own runbook differs from the reference (`--runbook FILE` or the profile's `runbook` names it)",
  };
}

/** `{ units: { dir: value } }` for `units.dir`. */
function keyed(key: string, value: unknown): unknown {
  return key
    .split(".")
    .reverse()
    .reduce<unknown>((inner, step) => ({ [step]: inner }), value);
}

/** The env files each compose file's services read (`env_file:` in any of its forms), relative to the checkout. */
export function composeEnvFiles(files: readonly YamlFile[]): { file: string; required: boolean }[] {
  const found: { file: string; required: boolean }[] = [];
  for (const yaml of files) {
    const services =
      (yaml.data as { services?: Record<string, { env_file?: unknown }> } | undefined)?.services ?? {};
    for (const service of Object.values(services)) {
      const entries =
        service.env_file === undefined
          ? []
          : Array.isArray(service.env_file)
            ? (service.env_file as unknown[])
            : [service.env_file];
      for (const entry of entries) {
        const given = typeof entry === "string" ? entry : (entry as { path?: unknown }).path;
        if (typeof given !== "string") continue;
        const required = typeof entry === "string" || (entry as { required?: unknown }).required !== false;
        const file = path.normalize(path.join(path.dirname(yaml.file), given));
        if (!found.some((f) => f.file === file)) found.push({ file, required });
      }
    }
  }
  return found;
}
