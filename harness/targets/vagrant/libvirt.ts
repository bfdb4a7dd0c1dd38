import { constants, readFileSync } from "node:fs";
import { access, mkdir, readFile, rename, rm, rmdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { currentOwner, isOwnerAlive, processStartTime } from "../../docker/labels.ts";
import { EnvironmentError } from "../../errors.ts";
import { secondsSince } from "../../format.ts";
import type { CommandResult } from "../../host/command.ts";
import { findProgram } from "../../host/find-program.ts";
import { runLocal } from "../../host/local-command.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import { until } from "../../waits/wait.ts";

/** A libvirt the Vagrant target can make VMs in: reused if one was running, else started by us. */
export interface Libvirt {
  readonly uri: string;
  /** A storage pool vagrant-libvirt finds under its default name. */
  readonly poolName: string;
  /** Undoes what startLibvirt did (domains excepted: `vagrant destroy` owns them); safe to call twice. */
  stop(): Promise<void>;
}

const URI = "qemu:///system";
const POOL = "default";
/** Domains of the Vagrant target: vagrant-libvirt names them after project dirs `sattva-chaos-vm-<id>`. */
const DOMAIN_PREFIX = "sattva-chaos";
/** Volumes vagrant-libvirt makes for those domains and for our box (`sattva-chaos-VAGRANTSLASH-…`). */
const VOLUME_PREFIX = "sattva-chaos";

// Pid files and the run's record live in /run, gone with the daemons at reboot; the qemu.conf backup
// must survive a reboot (the edited file does), so it lives with the pool under /var/lib.
const RUN_DIR = "/run/sattva-chaos";
const STATE_FILE = path.join(RUN_DIR, "libvirt.json");
const DATA_DIR = "/var/lib/sattva-chaos/libvirt";
const POOL_DIR = path.join(DATA_DIR, "pool");
const QEMU_CONF = "/etc/libvirt/qemu.conf";
const QEMU_CONF_BACKUP = path.join(DATA_DIR, "qemu.conf.orig");
/** libvirtd's runtime directory; removed after our daemons stop if it was not there before. */
const LIBVIRT_RUN_DIR = "/run/libvirt";

/** Where libvirt's network driver puts its chains, for IPv4 and IPv6. */
const FIREWALL_TABLES = ["filter", "nat", "mangle"] as const;
const FIREWALL_TOOLS = ["iptables", "ip6tables"] as const;

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 15_000;
const VIRSH_TIMEOUT_MS = 60_000;

type Daemon = "virtlogd" | "libvirtd";
/** In start order; stopped in reverse (libvirtd sends domain logs to virtlogd). */
const DAEMONS: readonly Daemon[] = ["virtlogd", "libvirtd"];

/** Programs startLibvirt needs, and the Debian package that has each. */
const REQUIRED_PROGRAMS: Readonly<Record<string, string>> = {
  libvirtd: "libvirt-daemon-system",
  virtlogd: "libvirt-daemon-system",
  virsh: "libvirt-clients",
  "qemu-system-x86_64": "qemu-system-x86",
  "qemu-img": "qemu-utils",
  vagrant: "vagrant",
  // libvirt runs it for the DHCP of vagrant-libvirt's management network.
  dnsmasq: "dnsmasq-base",
};

/**
 * qemu.conf settings for a machine without systemd or udev: /dev/kvm and the disks stay root's, and
 * no security driver relabels them.
 */
const QEMU_SETTINGS: Readonly<Record<string, string>> = {
  user: '"root"',
  group: '"root"',
  security_driver: '"none"',
};

/** What a run did to libvirt, on disk so that `clean` can undo it after the run died. */
interface LibvirtState {
  /** `pid:starttime` of the run (see labels.ts). */
  readonly owner: string;
  /** Whether the run started the daemons (false: it reused a libvirtd that was already running). */
  readonly ownDaemons: boolean;
  /** Left up for VMs kept past the run (`up`, `--keep`): later runs share it, `down`/`clean` remove it. */
  readonly keep: boolean;
  /** `pid:starttime` of each daemon it started. */
  daemons: Partial<Record<Daemon, string>>;
  readonly libvirtRunDirExisted: boolean;
  /** Whether libvirt's firewall chains (LIBVIRT_*) were there before our libvirtd made them. */
  readonly firewallChainsExisted: boolean;
  createdPool: boolean;
  /** Names present when the run began: only newer ones are removed. */
  networksAtStart: string[];
  volumesAtStart: string[];
  /**
   * Pools defined persistently when the run began (absent in records of older versions). vagrant-libvirt
   * defines POOL persistently, in /etc/libvirt/storage, whenever it finds none: that definition is ours.
   */
  persistentPoolsAtStart?: string[];
}

/**
 * `text` (a qemu.conf) with QEMU_SETTINGS applied: active lines for those keys are replaced in place,
 * missing keys appended; comments stay. Unchanged text means there is nothing to restore later.
 */
export function withQemuSettings(text: string): string {
  let result = text;
  const missing: string[] = [];
  for (const [key, value] of Object.entries(QEMU_SETTINGS)) {
    const line = new RegExp(`^[ \\t]*${key}[ \\t]*=.*$`, "gm");
    const wanted = `${key} = ${value}`;
    if (line.test(result))
      result = result.replace(line, (found) => (found.trim() === wanted ? found : wanted));
    else missing.push(wanted);
  }
  if (missing.length === 0) return result;
  const separator = result === "" || result.endsWith("\n") ? "" : "\n";
  return `${result}${separator}\n# Set by sattva-chaos while it runs libvirtd; restored when it stops.\n${missing.join("\n")}\n`;
}

/**
 * The arguments of the `iptables -t <table>` calls that remove libvirt's chains from a table, given its
 * `iptables-save -t <table>`: first the jumps into them from other chains, then their rules, then them.
 */
export function firewallChainRemovals(saved: string): string[][] {
  const chains = [...saved.matchAll(/^:(LIBVIRT_\w+) /gm)].map((match) => match[1] ?? "");
  const jumps = [...saved.matchAll(/^-A (\S+) -j (LIBVIRT_\w+)$/gm)]
    .filter((match) => !(match[1] ?? "").startsWith("LIBVIRT_"))
    .map((match) => ["-D", match[1] ?? "", "-j", match[2] ?? ""]);
  return [...jumps, ...chains.map((chain) => ["-F", chain]), ...chains.map((chain) => ["-X", chain])];
}

/** The names in the first column of a `virsh vol-list` table. */
export function parseVolumeList(table: string): string[] {
  const lines = table.split("\n");
  const rule = lines.findIndex((line) => /^-{3,}/.test(line.trim()));
  return lines
    .slice(rule + 1)
    .map((line) => line.trim().split(/\s+/)[0] ?? "")
    .filter((name) => name !== "");
}

const exists = (file: string, mode = constants.F_OK) =>
  access(file, mode).then(
    () => true,
    () => false,
  );

function virsh(args: readonly string[], check = true): Promise<CommandResult> {
  return runLocal("virsh", ["-c", URI, ...args], { timeoutMs: VIRSH_TIMEOUT_MS, check });
}

async function names(args: readonly string[]): Promise<string[]> {
  const listed = await virsh(args);
  return listed.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

async function answers(): Promise<boolean> {
  return (
    (await runLocal("virsh", ["-c", URI, "version"], { timeoutMs: 10_000, check: false })).exitCode === 0
  );
}

/** The programs libvirt, QEMU and Vagrant need that this machine has, and the packages of those it lacks. */
export async function libvirtPrograms(): Promise<{ found: Record<string, string>; missing: string[] }> {
  const found: Record<string, string> = {};
  const missing = new Set<string>();
  for (const [program, pkg] of Object.entries(REQUIRED_PROGRAMS)) {
    const file = await findProgram(program);
    if (file === undefined) missing.add(pkg);
    else found[program] = file;
  }
  return { found, missing: [...missing] };
}

/** How to install what libvirtPrograms found missing. */
export function installLibvirt(missing: readonly string[]): string {
  return `apt-get install ${[...missing, "vagrant-libvirt"].join(" ")}`;
}

async function assertPrograms(): Promise<Record<string, string>> {
  const { found, missing } = await libvirtPrograms();
  if (missing.length > 0) {
    throw new EnvironmentError(
      `Vagrant VMs need libvirt, QEMU and Vagrant: install them with \`${installLibvirt(missing)}\``,
    );
  }
  return found;
}

/** Alive, and not a zombie nobody reaped (a killed daemon's parent is init, which may be slow to). */
function running(owner: string | undefined): owner is string {
  if (owner === undefined || !isOwnerAlive(owner)) return false;
  try {
    const stat = readFileSync(`/proc/${owner.split(":")[0] ?? ""}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function firewallTables(): Promise<{ tool: string; table: string; saved: string }[]> {
  const tables = [];
  for (const tool of FIREWALL_TOOLS) {
    for (const table of FIREWALL_TABLES) {
      const saved = await runLocal(`${tool}-save`, ["-t", table], { timeoutMs: 30_000, check: false }).catch(
        () => undefined,
      );
      if (saved?.exitCode === 0) tables.push({ tool, table, saved: saved.stdout });
    }
  }
  return tables;
}

/** libvirt makes its chains when its network driver starts and leaves them when it stops. */
async function hasFirewallChains(): Promise<boolean> {
  return (await firewallTables()).some(({ saved }) => /^:LIBVIRT_/m.test(saved));
}

async function removeFirewallChains(): Promise<boolean> {
  let removed = false;
  for (const { tool, table, saved } of await firewallTables()) {
    for (const args of firewallChainRemovals(saved)) {
      await runLocal(tool, ["-t", table, ...args], { timeoutMs: 30_000 });
      removed = true;
    }
  }
  return removed;
}

async function readState(): Promise<LibvirtState | undefined> {
  try {
    return JSON.parse(await readFile(STATE_FILE, "utf8")) as LibvirtState;
  } catch {
    return undefined;
  }
}

async function saveState(state: LibvirtState): Promise<void> {
  await mkdir(RUN_DIR, { recursive: true });
  await writeFile(`${STATE_FILE}.tmp`, `${JSON.stringify(state)}\n`);
  await rename(`${STATE_FILE}.tmp`, STATE_FILE);
}

/** Applies QEMU_SETTINGS, keeping the original byte for byte (a backup already there is older: kept). */
async function configureQemu(): Promise<void> {
  const original = await readFile(QEMU_CONF);
  const configured = withQemuSettings(original.toString("utf8"));
  if (configured === original.toString("utf8")) return;
  await mkdir(DATA_DIR, { recursive: true });
  await access(QEMU_CONF_BACKUP).catch(async () => {
    await writeFile(`${QEMU_CONF_BACKUP}.tmp`, original);
    await rename(`${QEMU_CONF_BACKUP}.tmp`, QEMU_CONF_BACKUP);
  });
  // In place, so the file keeps its owner and mode.
  await writeFile(QEMU_CONF, configured);
}

async function restoreQemu(): Promise<boolean> {
  const original = await readFile(QEMU_CONF_BACKUP).catch(() => undefined);
  if (original === undefined) return false;
  await writeFile(QEMU_CONF, original);
  await rm(QEMU_CONF_BACKUP, { force: true });
  return true;
}

const pidFile = (daemon: Daemon) => path.join(RUN_DIR, `${daemon}.pid`);

/** Starts a daemon that forks into the background itself (`-d`) and returns its `pid:starttime`. */
async function startDaemon(program: string, daemon: Daemon): Promise<string> {
  await mkdir(RUN_DIR, { recursive: true });
  await runLocal(program, ["-d", "-p", pidFile(daemon)], { timeoutMs: READY_TIMEOUT_MS });
  const pid = Number((await readFile(pidFile(daemon), "utf8")).trim());
  const startTime = processStartTime(pid);
  if (startTime === undefined) throw new EnvironmentError(`${daemon} exited right after it started`);
  return `${pid}:${startTime}`;
}

/** SIGTERM, then SIGKILL past a deadline; only the very process recorded (a reused pid is left alone). */
async function stopDaemon(owner: string | undefined): Promise<boolean> {
  if (!running(owner)) return false;
  const pid = Number(owner.split(":")[0]);
  const exited = until(`pid ${pid} to exit`, () =>
    Promise.resolve({ ready: !running(owner), detail: "still running" }),
  );
  process.kill(pid, "SIGTERM");
  try {
    await exited.waitUntilReady(STOP_TIMEOUT_MS);
  } catch {
    if (running(owner)) process.kill(pid, "SIGKILL");
    await exited.waitUntilReady(5_000);
  }
  return true;
}

async function startDaemons(state: LibvirtState, programs: Record<string, string>): Promise<void> {
  await configureQemu();
  for (const daemon of DAEMONS) {
    // Restarting for a cleanup: the one still running stays (a second one would not get the pid file).
    if (running(state.daemons[daemon])) continue;
    state.daemons[daemon] = await startDaemon(programs[daemon] ?? daemon, daemon);
    await saveState(state);
  }
  await until(`libvirtd to answer on ${URI}`, async () => ({
    ready: await answers(),
    detail: "virsh version fails",
  })).waitUntilReady(READY_TIMEOUT_MS);
}

type Attempt = (what: string, action: () => Promise<unknown>) => Promise<void>;

/**
 * The pool (or, in a pool that was there before, our volumes) and the networks created since the run
 * began; with `orphan`, its `sattva-chaos-*` domains too.
 */
async function removeLibvirtObjects(
  state: LibvirtState,
  orphan: boolean,
  attempt: Attempt,
  progress: (line: string) => void,
): Promise<void> {
  const domains = (await names(["list", "--all", "--name"])).filter((d) => d.startsWith(DOMAIN_PREFIX));
  if (orphan) {
    for (const domain of domains) {
      await attempt(`domain ${domain}`, async () => {
        await virsh(["destroy", domain], false);
        await virsh(["undefine", domain, "--managed-save", "--snapshots-metadata"]);
      });
    }
  } else if (domains.length > 0) {
    progress(`libvirt: domains still defined (vagrant destroy removes them): ${domains.join(", ")}`);
  }
  if ((await names(["pool-list", "--all", "--name"])).includes(POOL)) {
    const volumes = parseVolumeList((await virsh(["vol-list", "--pool", POOL])).stdout).filter(
      (volume) =>
        state.createdPool || (!state.volumesAtStart.includes(volume) && volume.startsWith(VOLUME_PREFIX)),
    );
    for (const volume of volumes) {
      await attempt(`volume ${volume}`, () => virsh(["vol-delete", "--pool", POOL, volume]));
    }
    if (state.createdPool) await attempt(`pool ${POOL}`, () => virsh(["pool-destroy", POOL]));
  }
  const persistent = await names(["pool-list", "--all", "--persistent", "--name"]);
  if (persistent.includes(POOL) && state.persistentPoolsAtStart?.includes(POOL) === false) {
    await attempt(`pool ${POOL} (defined by vagrant-libvirt during the run)`, async () => {
      await virsh(["pool-destroy", POOL], false);
      await virsh(["pool-undefine", POOL]);
    });
  }
  const active = await names(["net-list", "--name"]);
  for (const network of await names(["net-list", "--all", "--name"])) {
    const isNew = !state.networksAtStart.includes(network);
    // Our libvirtd autostarted the old ones: their bridges were not there before it.
    if (active.includes(network) && (isNew || state.ownDaemons)) {
      await attempt(`network ${network} (stopped)`, () => virsh(["net-destroy", network]));
    }
    if (isNew) await attempt(`network ${network}`, () => virsh(["net-undefine", network]));
  }
}

/**
 * Removes what a run added to libvirt and stops the daemons it started; returns what it removed.
 * `orphan`: the run is dead, so its VMs are too (`sattva-chaos-*` domains are destroyed).
 */
async function teardown(
  state: LibvirtState | undefined,
  orphan: boolean,
  progress: (line: string) => void,
): Promise<string[]> {
  const removed: string[] = [];
  const failures: string[] = [];
  const attempt: Attempt = async (what, action) => {
    try {
      await action();
      removed.push(what);
    } catch (error) {
      failures.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  if (state !== undefined) {
    // A run killed with its libvirtd leaves definitions only libvirtd can undo: start it once more.
    const ours = state.daemons.libvirtd;
    if (orphan && state.ownDaemons && ours !== undefined && !running(ours) && !(await answers())) {
      await startDaemons(state, await assertPrograms()).catch((error: unknown) => {
        failures.push(`restarting libvirtd to clean up: ${String(error)}`);
      });
    }
    // Never someone else's libvirtd in place of ours: its pool and networks are not ours to touch.
    if (state.ownDaemons ? running(state.daemons.libvirtd) : await answers()) {
      await removeLibvirtObjects(state, orphan, attempt, progress).catch((error: unknown) => {
        failures.push(`listing libvirt's domains, volumes and networks: ${String(error)}`);
      });
    }
    for (const daemon of [...DAEMONS].reverse()) {
      const owner = state.daemons[daemon];
      // Never started, or gone already: nothing to stop.
      if (running(owner))
        await attempt(`${daemon} (pid ${owner.split(":")[0] ?? "?"})`, () => stopDaemon(owner));
    }
    for (const daemon of DAEMONS) await rm(pidFile(daemon), { force: true });
    // Only once libvirtd is gone (it would remake them), and only if its networks went cleanly.
    if (state.ownDaemons && !state.firewallChainsExisted && failures.length === 0) {
      try {
        if (await removeFirewallChains()) removed.push("iptables chains LIBVIRT_*");
      } catch (error) {
        failures.push(`iptables chains LIBVIRT_*: ${String(error)}`);
      }
    }
  }
  if (await exists(POOL_DIR)) await attempt(POOL_DIR, () => rm(POOL_DIR, { recursive: true, force: true }));
  if (await restoreQemu()) removed.push(`${QEMU_CONF} restored`);
  if (failures.length > 0) {
    // The record (and libvirt's runtime state) stays, so that `clean` tries again.
    throw new EnvironmentError(
      `libvirt teardown incomplete (\`sattva-chaos clean\` retries it):\n${failures.join("\n")}`,
    );
  }
  if (state?.ownDaemons === true && !state.libvirtRunDirExisted) {
    await rm(LIBVIRT_RUN_DIR, { recursive: true, force: true });
  }
  await rm(STATE_FILE, { force: true });
  // Our directories go too once empty (rmdir refuses otherwise: whatever else is there stays).
  for (const dir of [RUN_DIR, DATA_DIR, path.dirname(DATA_DIR)]) await rmdir(dir).catch(() => undefined);
  return removed;
}

function assertRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError("Vagrant VMs need root: libvirtd and its qemu.conf are system-wide");
  }
}

export interface LibvirtOptions {
  /**
   * For a VM that outlives this process (`up`, `--keep`): libvirt stays up too, Ctrl-C leaves it, and
   * later runs share it; `down` or `clean` removes it once no VM is left (see cleanOrphanLibvirt).
   */
  readonly keep?: boolean;
}

/** Whether the libvirt a state describes still runs (ours by pid; a reused one if it answers). */
async function alive(state: LibvirtState): Promise<boolean> {
  return state.ownDaemons ? running(state.daemons.libvirtd) : answers();
}

/**
 * Makes libvirt ready for vagrant-libvirt: reuses a libvirtd that already answers (never stopping
 * it), or starts virtlogd and libvirtd as daemons (machines without systemd) with the qemu.conf they
 * need there. Either way a pool named `default` exists until stop(). A libvirt kept by an earlier run
 * is shared (and left up by stop()); what a crashed run left is cleaned first.
 */
export async function startLibvirt(
  progress: (line: string) => void = () => undefined,
  options: LibvirtOptions = {},
): Promise<Libvirt> {
  assertRoot();
  const programs = await assertPrograms();
  const previous = await readState();
  if (previous?.keep === true && (await alive(previous))) {
    progress("libvirt: reusing the libvirt kept by an earlier run (`down` or `clean` stops it)");
    return { uri: URI, poolName: POOL, stop: () => Promise.resolve() };
  }
  if (previous !== undefined && isOwnerAlive(previous.owner)) {
    throw new EnvironmentError(
      `libvirt is in use by another sattva-chaos run (pid ${previous.owner.split(":")[0] ?? "?"}); ` +
        "wait for it to end",
    );
  }
  const leftover = await cleanOrphanLibvirt();
  if (leftover.length > 0) progress(`libvirt: removed what a crashed run left: ${leftover.join(", ")}`);

  const started = performance.now();
  const reuse = await answers();
  const state: LibvirtState = {
    owner: currentOwner(),
    ownDaemons: !reuse,
    keep: options.keep === true,
    daemons: {},
    libvirtRunDirExisted: await exists(LIBVIRT_RUN_DIR),
    firewallChainsExisted: reuse || (await hasFirewallChains()),
    createdPool: false,
    networksAtStart: [],
    volumesAtStart: [],
  };
  // Recorded before anything changes, so that a crash at any point leaves enough to clean up.
  await saveState(state);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      unregister();
      const removed = await teardown(state, false, progress);
      progress(`libvirt: stopped (${removed.length === 0 ? "nothing to remove" : removed.join(", ")})`);
    })();
    return stopping;
  };
  // Kept: Ctrl-C leaves libvirt to the VM that outlives this process.
  const unregister = state.keep ? () => undefined : teardownOnSignal(stop);
  try {
    if (reuse) {
      progress(`libvirt: reusing the libvirtd already answering on ${URI}`);
    } else {
      await startDaemons(state, programs);
      progress(
        `libvirt: started virtlogd and libvirtd (pid ${state.daemons.libvirtd?.split(":")[0] ?? "?"}) ` +
          `in ${secondsSince(started)}`,
      );
    }
    state.networksAtStart = await names(["net-list", "--all", "--name"]);
    state.persistentPoolsAtStart = await names(["pool-list", "--all", "--persistent", "--name"]);
    if ((await names(["pool-list", "--all", "--name"])).includes(POOL)) {
      state.volumesAtStart = parseVolumeList((await virsh(["vol-list", "--pool", POOL])).stdout);
    } else {
      await mkdir(POOL_DIR, { recursive: true });
      state.createdPool = true;
      await saveState(state);
      await virsh(["pool-create-as", POOL, "dir", "--target", POOL_DIR]);
      progress(`libvirt: created the transient pool ${POOL} in ${POOL_DIR}`);
    }
    await saveState(state);
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
  return { uri: URI, poolName: POOL, stop };
}

/**
 * For `clean` and `down`: undoes what a dead run did to libvirt (its `sattva-chaos-*` domains, volumes,
 * pool, networks, daemons, qemu.conf) and returns what it removed; nothing while the run lives. A
 * libvirt kept for VMs (`keep`) goes too: callers call this once no kept VM is left.
 */
export async function cleanOrphanLibvirt(): Promise<string[]> {
  const state = await readState();
  if (state !== undefined && isOwnerAlive(state.owner)) return [];
  // After a reboot only the qemu.conf backup and the pool directory can be left: teardown handles that.
  return teardown(state, true, () => undefined);
}
