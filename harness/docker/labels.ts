import { readFileSync, readlinkSync } from "node:fs";

/** Every container, network, volume and image the harness creates carries these labels. */
export const Label = {
  /** "true" on everything the harness made. */
  managed: "io.sattva-chaos.managed",
  /**
   * `<pid>:<start time>:<pid namespace>.<boot>` of the process that owns it; `clean` removes what a
   * dead process left (see isOwnerAlive).
   */
  owner: "io.sattva-chaos.owner",
  /** The host a resource belongs to. */
  host: "io.sattva-chaos.host",
  /** "true" on a host left up on purpose (`up`, `--keep`); only `down` or `clean --all` removes it. */
  keep: "io.sattva-chaos.keep",
  /**
   * The checkout (absolute path) a kept host was provisioned with: `run --target` deploys it again,
   * never another one beside it.
   */
  stack: "io.sattva-chaos.stack",
  /** The key of a host template (a volume kept like the image cache, removed by `clean --all`). */
  template: "io.sattva-chaos.template",
  /** "engine" or "provisioned": what a host template holds (see HostTemplate). */
  templateKind: "io.sattva-chaos.template-kind",
  /** A provisioned template's family (HostProvisioning.family, with its engine's key). */
  templateFamily: "io.sattva-chaos.template-family",
  /** The recipe hash an image was built from. */
  recipe: "io.sattva-chaos.recipe",
} as const;

/**
 * The repository of provisioned-host templates' images (see HostTemplate): found by name, not by a
 * label, since an image's labels pass to every container made from it.
 */
export const TEMPLATE_IMAGE = "sattva-chaos/host-template";

/**
 * The repository of kept hosts' baselines (see HostBaseline), tagged with the host's name: removed with
 * the host, by name for the same reason.
 */
export const BASELINE_IMAGE = "sattva-chaos/host-baseline";

/** The volume holding a kept host's baseline engine, labelled as the host: it goes with it. */
export const baselineVolume = (host: string): string => `${host}-baseline`;

/** Kernel start time of a process (clock ticks since boot), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the parenthesised command name; starttime is field 22 overall, 20th after ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/** This process's PID namespace and boot: where a pid means what it says. */
function pidWorld(): string {
  let namespace = "?";
  try {
    namespace = /\[(\d+)\]/.exec(readlinkSync("/proc/self/ns/pid"))?.[1] ?? "?";
  } catch {
    // No /proc/self/ns (not Linux): one world.
  }
  let boot = "?";
  try {
    boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim().slice(0, 8);
  } catch {
    // As above.
  }
  return `${namespace}.${boot}`;
}

/**
 * The owner label value for this process: pid and start time (so a reused pid is not mistaken for
 * it), and the PID namespace and boot it is in (a Docker engine shared with another namespace, or
 * another machine, sees owners whose pids mean nothing here).
 */
export function currentOwner(): string {
  return `${process.pid}:${processStartTime(process.pid) ?? "?"}:${pidWorld()}`;
}

/**
 * The lease a run holds on each host container it made, for owners this machine cannot see (another
 * PID namespace or boot, sharing the engine): the run touches `file` in the host every `renewMs`, and
 * a host whose lease is older than `expiresMs` has lost its owner. A resource with no lease to read (a
 * host's network and volume before its container runs, after it is gone) is its owner's while younger
 * than `unreadableMs`: a host is made in seconds, and then holds its lease.
 */
export const OWNER_LEASE = {
  file: "/run/sattva-chaos.lease",
  renewMs: 30_000,
  expiresMs: 5 * 60_000,
  unreadableMs: 15 * 60_000,
} as const;

/** Whether an owner label value names a process of another PID namespace or boot: not in this /proc. */
export function isOwnerElsewhere(owner: string): boolean {
  const world = owner.split(":")[2];
  return world !== undefined && world !== pidWorld();
}

/** What `clean` can tell of a resource's age and of its host's lease. */
export interface Age {
  readonly createdAt?: Date;
  /** How long ago the owner last renewed its host's lease, where the host runs and holds one. */
  readonly leaseAgeMs?: number;
}

/**
 * Whether the process named by an owner label value may still be running. One of this PID namespace
 * and boot is checked in /proc; one of elsewhere cannot be, so it is judged by its host's lease
 * (OWNER_LEASE), or by the resource's age where there is none to read (or of unknown age: alive).
 */
export function isOwnerAlive(owner: string | undefined, age: Age = {}): boolean {
  if (owner === undefined) return false;
  const [pid, startTime] = owner.split(":");
  if (isOwnerElsewhere(owner)) {
    if (age.leaseAgeMs !== undefined) return age.leaseAgeMs < OWNER_LEASE.expiresMs;
    return age.createdAt === undefined || Date.now() - age.createdAt.getTime() < OWNER_LEASE.unreadableMs;
  }
  const pidNumber = Number(pid);
  if (!Number.isInteger(pidNumber) || pidNumber <= 0) return false;
  return processStartTime(pidNumber) === startTime;
}

export function managedLabels(host: string, keep = false): Record<string, string> {
  return {
    [Label.managed]: "true",
    [Label.owner]: currentOwner(),
    [Label.host]: host,
    ...(keep ? { [Label.keep]: "true" } : {}),
  };
}

/** `--label key=value` arguments for the docker CLI. */
export function labelArgs(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([key, value]) => ["--label", `${key}=${value}`]);
}
