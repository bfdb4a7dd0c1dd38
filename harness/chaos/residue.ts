import type { Stack } from "../stack/stack.ts";
import type { ToxiproxyOverlay } from "../network/toxiproxy-overlay.ts";
import type { Markers } from "./markers.ts";
import { LIST_DEAD_MAN_SWITCHES } from "./dead-man-switch.ts";
import { pinnedYtDlp, streamerImportsYtDlp } from "./faults/yt-dlp.ts";

/** Disk a scenario may leave used where the stack writes (journals and container logs grow); more is residue. */
const DISK_SLACK_KB = 512 * 1024;
/** How far the host's clock may drift from this machine's during a scenario before it counts as moved. */
const CLOCK_SLACK_MS = 2_000;

/** What the host looked like before the fault: compared after healing. */
export interface HostBaseline {
  readonly containers: readonly string[];
  /**
   * Rules that are not Docker's own: its chains, its NAT and the ACCEPT rules of its bridges, which it
   * rewrites whenever a container or a compose network is recreated (`docker compose down && up`).
   */
  readonly iptables: readonly string[] | undefined;
  readonly clockOffsetMs: number;
  /** How far off clockOffsetMs may be: half the round trip of the command that read the host's clock. */
  readonly clockUncertaintyMs: number;
  readonly diskUsedKb: number;
}

const CONTAINERS = "docker ps -a --format '{{.Names}}' | sort";
const IPTABLES_RULES =
  'for t in filter nat mangle raw; do iptables -w -t $t -S | sed "s/^/$t: /"; done | grep -v -E "DOCKER|MASQUERADE|^filter: -A FORWARD (-i|-o) (br-[0-9a-f]{12}|docker0) .*-j ACCEPT$" | sort';
// Where the stack and the faults write, measured rather than the filesystem's usage: a container
// host's / is this machine's disk, shared with every other host and build running beside it.
const WRITABLE_DIRS = "/var/lib/docker /opt /var/log /var/lib/sattva-chaos /var/tmp /tmp /root";
const DISK_USED_KB = `du -skxc ${WRITABLE_DIRS} 2>/dev/null | tail -1 | cut -f1`;

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

/** The host's clock minus this machine's, and how far off that may be (the command takes its time). */
async function clockOffset(stack: Stack): Promise<{ offsetMs: number; uncertaintyMs: number }> {
  const before = Date.now();
  const hostNow = Number((await stack.host.run("date +%s%3N")).stdout.trim());
  const after = Date.now();
  return { offsetMs: hostNow - (before + after) / 2, uncertaintyMs: (after - before) / 2 };
}

export async function takeHostBaseline(stack: Stack): Promise<HostBaseline> {
  const iptables = await stack.host.run(IPTABLES_RULES, { check: false });
  const clock = await clockOffset(stack);
  return {
    containers: lines((await stack.host.run(CONTAINERS)).stdout),
    iptables: iptables.exitCode === 0 ? lines(iptables.stdout) : undefined,
    clockOffsetMs: clock.offsetMs,
    clockUncertaintyMs: clock.uncertaintyMs,
    diskUsedKb: Number((await stack.host.run(DISK_USED_KB)).stdout.trim()),
  };
}

/** Differences from the baseline: new containers, added or removed iptables rules, a moved clock, disk kept. */
async function hostChanges(stack: Stack, baseline: HostBaseline): Promise<string[]> {
  const now = await takeHostBaseline(stack);
  const residue = now.containers
    .filter((name) => !baseline.containers.includes(name))
    .map((name) => `container ${name} was not there before the scenario`);
  if (baseline.iptables !== undefined && now.iptables !== undefined) {
    for (const rule of now.iptables.filter((r) => !baseline.iptables?.includes(r)))
      residue.push(`iptables rule added: ${rule}`);
    for (const rule of baseline.iptables.filter((r) => !now.iptables?.includes(r)))
      residue.push(`iptables rule removed: ${rule}`);
  }
  const moved = now.clockOffsetMs - baseline.clockOffsetMs;
  // A slow read (a loaded machine) is not a moved clock: only what exceeds both reads' uncertainty.
  const uncertainty = now.clockUncertaintyMs + baseline.clockUncertaintyMs;
  if (Math.abs(moved) > CLOCK_SLACK_MS * stack.host.slowdown + uncertainty)
    residue.push(`the host's clock moved by ${(moved / 1000).toFixed(1)} s`);
  const grown = now.diskUsedKb - baseline.diskUsedKb;
  if (grown > DISK_SLACK_KB)
    residue.push(
      `${Math.round(grown / 1024)} MB more disk used in ${WRITABLE_DIRS} than before the scenario`,
    );
  return residue;
}

export interface ResidueContext {
  readonly markers: Markers;
  readonly baseline?: HostBaseline | undefined;
  readonly network?: ToxiproxyOverlay | undefined;
}

/**
 * What a scenario left behind after its faults were healed, by name: units not back to active, new
 * containers (the compose backend), iptables rules, a moved clock, disk kept, toxics or disabled proxies,
 * a dead-man switch still armed, a poisoned package index or pip pointed at it, a yt-dlp other than the
 * pinned one in the streamer's venv, lost markers. Empty: clean.
 */
export async function findResidue(stack: Stack, context: ResidueContext): Promise<string[]> {
  const residue: string[] = [];
  for (const unit of stack.deployment.services) {
    const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    if (state !== "active") residue.push(`unit ${unit} is ${state}`);
  }
  const deadMan = await stack.host.run(LIST_DEAD_MAN_SWITCHES, { check: false });
  // Chaos mode's own switch stays armed for as long as chaos mode is applied (its file's tests).
  const chaosModeSwitch = context.network?.deadManSwitch;
  for (const left of lines(deadMan.stdout).filter(
    (l) => chaosModeSwitch === undefined || !l.includes(chaosModeSwitch),
  ))
    residue.push(`dead-man switch ${left} is still there`);
  if (context.baseline !== undefined) residue.push(...(await hostChanges(stack, context.baseline)));
  if (context.network !== undefined) residue.push(...(await context.network.leftovers()));
  const index = await stack.host.run(
    `ls /opt/sattva-chaos/pypi/files 2>/dev/null; ${stack.deployment.venvs.map((v) => `ls ${stack.root}/${v.dir}/pip.conf 2>/dev/null`).join("; ")}`,
    { check: false },
  );
  if (index.stdout.trim() !== "")
    residue.push(
      `local package index or pip configuration left: ${index.stdout.trim().replace(/\n/g, ", ")}`,
    );
  // A stack whose requirements pin no yt-dlp has no version to come back to.
  const pinned = await pinnedYtDlp(stack).catch(() => undefined);
  const installed = await streamerImportsYtDlp(stack);
  if (pinned !== undefined && (!installed.ok || installed.said !== pinned)) {
    residue.push(`the streamer's yt-dlp is ${installed.said}, not the pinned ${pinned}`);
  }
  if (context.markers.count > 0) {
    const lost = await context.markers.missing();
    if (lost.length > 0) residue.push(`markers lost: ${lost.join(", ")}`);
  }
  return residue;
}
