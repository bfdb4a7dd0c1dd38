import type { TargetOptions } from "../targets/targets.ts";

/** Environment variables through which `sattva-chaos run` configures the scenario files it starts. */
export const RunEnv = {
  target: "SATTVA_CHAOS_TARGET",
  stack: "SATTVA_CHAOS_STACK",
  /** The runbook the stack is judged by (`--runbook FILE`), when not the checkout's own. */
  runbook: "SATTVA_CHAOS_RUNBOOK",
  imageMode: "SATTVA_CHAOS_IMAGE_MODE",
  reportDir: "SATTVA_CHAOS_REPORT_DIR",
  sshKey: "SATTVA_CHAOS_SSH_KEY",
  sshKnownHosts: "SATTVA_CHAOS_SSH_KNOWN_HOSTS",
  /** "true": trust an SSH host key seen for the first time (`--ssh-accept-new`), else strict. */
  sshAcceptNew: "SATTVA_CHAOS_SSH_ACCEPT_NEW",
  allowDestructive: "SATTVA_CHAOS_ALLOW_DESTRUCTIVE",
  /** "true": leave the host up after the run (`run --keep`), for investigation. */
  keep: "SATTVA_CHAOS_KEEP",
  /** Id of the `run` invocation, and `pid:starttime` of its process: hosts a target shares per run. */
  runId: "SATTVA_CHAOS_RUN_ID",
  runOwner: "SATTVA_CHAOS_RUN_OWNER",
  /** How many scenario files run at once, each on its own host (`run --jobs N`); 1 when unset. */
  jobs: "SATTVA_CHAOS_JOBS",
  /** "off": every host is booted, loaded and provisioned from nothing (no host templates), for figures. */
  templates: "SATTVA_CHAOS_TEMPLATES",
} as const;

/** The target options a run was started with, as the scenario files see them. */
export function targetOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): TargetOptions {
  const key = env[RunEnv.sshKey];
  const knownHosts = env[RunEnv.sshKnownHosts];
  return {
    ...(key === undefined || key === "" ? {} : { key }),
    ...(knownHosts === undefined || knownHosts === "" ? {} : { knownHosts }),
    acceptNewHostKey: env[RunEnv.sshAcceptNew] === "true",
    allowDestructive: env[RunEnv.allowDestructive] === "true",
  };
}

/** The same options as environment variables for the scenario files (the inverse of targetOptionsFromEnv). */
export function targetOptionsToEnv(options: TargetOptions): Record<string, string> {
  return {
    ...(options.key === undefined ? {} : { [RunEnv.sshKey]: options.key }),
    ...(options.knownHosts === undefined ? {} : { [RunEnv.sshKnownHosts]: options.knownHosts }),
    ...(options.acceptNewHostKey === true ? { [RunEnv.sshAcceptNew]: "true" } : {}),
    ...(options.allowDestructive === true ? { [RunEnv.allowDestructive]: "true" } : {}),
  };
}

/**
 * The environment of the scenario processes a run starts: this process's, without any SATTVA_CHAOS_*
 * variable the caller set (an inherited SATTVA_CHAOS_ALLOW_DESTRUCTIVE must not turn a key the
 * command line did not), then the run's own.
 */
export function scenarioProcessEnv(
  runEnv: Readonly<Record<string, string>>,
  inherited: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const own = new Set<string>(Object.values(RunEnv));
  const kept = Object.entries(inherited).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && !own.has(entry[0]),
  );
  return { ...Object.fromEntries(kept), ...runEnv };
}
