import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { docker } from "../docker/docker-cli.ts";
import { Label, labelArgs } from "../docker/labels.ts";
import { currentOwner } from "../docker/labels.ts";

/**
 * The field's own validators, run in the images the harness builds (no host, no network): each in a
 * throwaway container that mounts what it checks read-only, labelled as the harness's and removed.
 */
export interface ToolRun {
  readonly rc: number;
  readonly stdout: string;
  readonly stderr: string;
}

const HOST_VALIDATORS = fileURLToPath(new URL("./host-validators.py", import.meta.url));
const DEADLINE_MS = 120_000;

export interface Mount {
  /** Absolute path on this machine. */
  readonly source: string;
  /** Path in the container. */
  readonly target: string;
}

export interface ContainerRun {
  readonly image: string;
  readonly mounts: readonly Mount[];
  readonly command: readonly string[];
  readonly entrypoint?: string;
  readonly addHosts?: readonly string[];
  readonly input?: string;
}

/** Runs one validator container to completion; its exit code is the tool's verdict, not an error. */
export async function runValidator(purpose: string, run: ContainerRun): Promise<ToolRun> {
  const name = `sattva-chaos-audit-${purpose}-${randomBytes(4).toString("hex")}`;
  const labels = labelArgs({ [Label.managed]: "true", [Label.owner]: currentOwner(), [Label.host]: name });
  const result = await docker(
    [
      "run",
      "--rm",
      "--name",
      name,
      ...labels,
      "--network",
      "none",
      ...(run.input === undefined ? [] : ["-i"]),
      ...run.mounts.flatMap((m) => ["-v", `${m.source}:${m.target}:ro`]),
      ...(run.addHosts ?? []).flatMap((host) => ["--add-host", host]),
      ...(run.entrypoint === undefined ? [] : ["--entrypoint", run.entrypoint]),
      run.image,
      ...run.command,
    ],
    { check: false, timeoutMs: DEADLINE_MS, ...(run.input === undefined ? {} : { input: run.input }) },
  );
  if (result.timedOut) {
    await docker(["rm", "-f", name], { check: false });
    throw new Error(`the ${purpose} validator did not finish in ${DEADLINE_MS / 1000} s`);
  }
  return { rc: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}

/** What `host-validators.py` is asked to do (see that file). */
export interface HostValidationPlan {
  readonly root: string;
  /** Checkout files copied to the stack's root for the tools (compose files, env files, unit commands). */
  readonly copy: readonly string[];
  /**
   * Env files the deployment reads but the checkout lacks, as a test host gets them (made from their
   * examples, else empty): compose resolves what the deployment will (its absence is a finding apart).
   */
  readonly standIns: readonly { readonly file: string; readonly text: string }[];
  /** `docker compose` arguments before `config` (the -f files), or null when there is no compose file. */
  readonly compose: readonly string[] | null;
  readonly cwd: string;
  readonly units: readonly { readonly name: string; readonly files: readonly string[] }[];
  readonly calendars: readonly string[];
}

export interface HostValidation {
  /** Unit files a fresh host has (Debian with systemd and Docker), before the checkout's are added. */
  readonly hostUnits: ReadonlySet<string>;
  /** Users a fresh host has. */
  readonly users: ReadonlySet<string>;
  readonly compose?: ToolRun;
  readonly verify?: ToolRun;
  readonly security?: Readonly<Record<string, ToolRun>>;
  readonly calendars: Readonly<Record<string, ToolRun>>;
}

export async function validateOnHostImage(
  image: string,
  checkoutDir: string,
  plan: HostValidationPlan,
): Promise<HostValidation> {
  const run = await runValidator("host", {
    image,
    mounts: [
      { source: checkoutDir, target: "/src" },
      { source: HOST_VALIDATORS, target: "/sattva-chaos/host-validators.py" },
    ],
    command: ["python3", "/sattva-chaos/host-validators.py"],
    input: JSON.stringify(plan),
  });
  if (run.rc !== 0)
    throw new Error(`the host image's validators failed (exit ${run.rc}): ${run.stderr.trim()}`);
  const raw = JSON.parse(run.stdout) as Omit<HostValidation, "hostUnits" | "users"> & {
    hostUnits: string[];
    users: string[];
  };
  return { ...raw, hostUnits: new Set(raw.hostUnits), users: new Set(raw.users) };
}
