import { unitsNotRunningHere } from "../stack/steady-state.ts";
import type { Stack } from "../stack/stack.ts";
import type { Markers } from "./markers.ts";
import { LIST_DEAD_MAN_SWITCHES } from "./dead-man-switch.ts";

/** Disk a scenario may leave used where the stack writes (journals and container logs grow); more is residue. */
const DISK_SLACK_KB = 512 * 1024;
/** How far the host's clock may drift from this machine's during a scenario before it counts as moved. */
const CLOCK_SLACK_MS = 2_000;

/**
 * Kernel settings that change by themselves (counters, random values, a device's of a container made
 * again): left out when settings are compared. A grep -E pattern, and a RegExp source.
 */
export const VOLATILE_KERNEL_SETTINGS =
  "(veth|br-|docker0|random|quota|_nr|-nr|-state|stat|count|ns_last_pid|dentry|inode|pty\\.nr|uptime|boot_id|invocation|max_user|perf_event|sched_domain|entropy|panic_on|tainted|hung_task|expire|gc_|\\.(lo|eth0)\\.)";

/**
 * What a host is made of that a fault (any fault, or a harness that died) could leave changed, each
 * kind read by one command whose lines are compared before and after: a line that came or went is
 * residue, named by its kind. Lines that change by themselves (container ids of a recreated service,
 * veth devices, counters) are left out of each command's output.
 */
const SNAPSHOT_KINDS = {
  "unit file or drop-in": [
    "find /etc/systemd/system /run/systemd/system -mindepth 1 \\( -type f -o -type l \\) 2>/dev/null",
    // The harness's own: the update timer held for the test is released before the audit.
    "grep -v -e sattva-chaos-update-held -e sattva-chaos-held.conf",
    'while read -r f; do if [ -L "$f" ]; then echo "$f -> $(readlink "$f")"; else echo "$f $(sha256sum < "$f" | cut -c1-16)"; fi; done | sort',
  ].join(" | "),
  // A container made again from the same configuration (the runbook's `docker compose down && up`)
  // is the same; one whose restart policy, image, ports or mounts changed is not. One line per mount
  // (Docker lists them in no set order); an anonymous volume is new with each container.
  container: [
    "docker ps -aq | xargs -r docker inspect --format",
    `'{{$c := .Name}}{{$c}} {{.Config.Image}} restart={{.HostConfig.RestartPolicy.Name}} ports={{json .HostConfig.PortBindings}}{{range .Mounts}}{{"\\n"}}{{$c}} mount {{.Type}} {{if eq .Type "bind"}}{{.Source}}{{else if eq (len .Name) 64}}(anonymous){{else}}{{.Name}}{{end}}:{{.Destination}}{{end}}'`,
    "| sort",
  ].join(" "),
  "docker volume": "docker volume ls -q | grep -v -E '^[0-9a-f]{64}$' | sort",
  "docker network": "docker network ls --format '{{.Name}} {{.Driver}}' | sort",
  // Docker's own chains and the ACCEPT rules of its bridges are rewritten whenever a container or a
  // compose network is made again.
  "iptables rule":
    'for t in filter nat mangle raw; do iptables -w -t $t -S 2>/dev/null | sed "s/^/$t: /"; done | grep -v -E "DOCKER|MASQUERADE|^filter: -A FORWARD (-i|-o) (br-[0-9a-f]{12}|docker0) .*-j ACCEPT$" | sort',
  "ip6tables rule":
    'for t in filter nat mangle raw; do ip6tables -w -t $t -S 2>/dev/null | sed "s/^/$t: /"; done | grep -v -E "DOCKER|MASQUERADE|^filter: -A FORWARD (-i|-o) (br-[0-9a-f]{12}|docker0) .*-j ACCEPT$" | sort',
  "nftables rule":
    "command -v nft >/dev/null && nft list ruleset 2>/dev/null | grep -v -E 'DOCKER|handle' | sort",
  "traffic control": "tc qdisc show 2>/dev/null | grep -v -E 'dev (veth|br-|docker0)' | sort",
  "kernel setting": `sysctl -a 2>/dev/null | grep -v -E '${VOLATILE_KERNEL_SETTINGS}' | sort`,
  "/etc/hosts line": "cat /etc/hosts | sort",
  mount:
    "findmnt -rn -o TARGET,FSTYPE,OPTIONS 2>/dev/null | grep -v -E '^/(var/lib/docker|run/docker|var/lib/containerd|run/containerd|run/netns|proc|sys|dev)' | sort",
  "cron entry":
    "{ crontab -l 2>/dev/null; cat /etc/cron.d/* /var/spool/cron/crontabs/* 2>/dev/null; } | grep -v '^#' | sort",
  "pip configuration": "cat /etc/pip.conf ~/.config/pip/pip.conf ~/.pip/pip.conf 2>/dev/null | sort",
} as const;

export type SnapshotKind = keyof typeof SNAPSHOT_KINDS | "stack file" | "timer";

/** What the host looked like before the fault: compared after healing. */
export interface HostSnapshot {
  readonly lines: ReadonlyMap<SnapshotKind, readonly string[]>;
  readonly clockOffsetMs: number;
  /** How far off clockOffsetMs may be: half the round trip of the command that read the host's clock. */
  readonly clockUncertaintyMs: number;
  readonly diskUsedKb: number;
}

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

/**
 * The commands of the kinds that depend on the deployment: the stack's own files at its root that
 * compose and the units read (`.env`, the harness's `.sattva-chaos/` overlay), and its update timer.
 */
function stackKinds(stack: Stack): Record<"stack file" | "timer", string> {
  const timer = stack.deployment.unitsPresent.has("timer") ? stack.deployment.unit("timer") : undefined;
  return {
    "stack file": `cd ${stack.root} 2>/dev/null && for f in .env .sattva-chaos; do [ -e "$f" ] && echo "$f $(find "$f" -type f -exec sha256sum {} + | sort | sha256sum | cut -c1-16)"; done; true`,
    timer:
      timer === undefined
        ? "true"
        : `systemctl show -p ActiveState -p UnitFileState ${timer} | sed "s/^/${timer} /"`,
  };
}

/** One command for every kind, its sections separated by a marker line naming the kind. */
function snapshotScript(stack: Stack): string {
  const kinds: Record<string, string> = { ...SNAPSHOT_KINDS, ...stackKinds(stack) };
  return Object.entries(kinds)
    .map(([kind, command]) => `echo '@@ ${kind}'; { ${command}; } 2>/dev/null`)
    .join("; ");
}

export async function takeHostSnapshot(stack: Stack): Promise<HostSnapshot> {
  const script = await stack.host.run(snapshotScript(stack), { check: false });
  const sections = new Map<SnapshotKind, string[]>();
  let current: string[] | undefined;
  for (const line of lines(script.stdout)) {
    const kind = /^@@ (.+)$/.exec(line)?.[1];
    if (kind !== undefined) sections.set(kind as SnapshotKind, (current = []));
    else current?.push(line);
  }
  const clock = await clockOffset(stack);
  return {
    lines: sections,
    clockOffsetMs: clock.offsetMs,
    clockUncertaintyMs: clock.uncertaintyMs,
    diskUsedKb: Number((await stack.host.run(DISK_USED_KB)).stdout.trim()),
  };
}

/** Differences from the snapshot, each named by its kind: what came, what went, a moved clock, disk kept. */
export async function hostChanges(stack: Stack, before: HostSnapshot): Promise<string[]> {
  const now = await takeHostSnapshot(stack);
  const residue: string[] = [];
  for (const [kind, was] of before.lines) {
    const is = now.lines.get(kind) ?? [];
    for (const line of is.filter((l) => !was.includes(l))) residue.push(`${kind} added or changed: ${line}`);
    for (const line of was.filter((l) => !is.includes(l)))
      residue.push(`${kind} removed or changed: ${line}`);
  }
  const moved = now.clockOffsetMs - before.clockOffsetMs;
  // A slow read (a loaded machine) is not a moved clock: only what exceeds both reads' uncertainty.
  const uncertainty = now.clockUncertaintyMs + before.clockUncertaintyMs;
  if (Math.abs(moved) > CLOCK_SLACK_MS * stack.host.slowdown + uncertainty)
    residue.push(`the host's clock moved by ${(moved / 1000).toFixed(1)} s`);
  const grown = now.diskUsedKb - before.diskUsedKb;
  if (grown > DISK_SLACK_KB)
    residue.push(
      `${Math.round(grown / 1024)} MB more disk used in ${WRITABLE_DIRS} than before the scenario`,
    );
  return residue;
}

export interface ResidueContext {
  readonly markers: Markers;
  readonly before?: HostSnapshot | undefined;
  /** A dead-man switch armed for longer than the test (chaos mode's, for its file): not residue. */
  readonly switchOutlivingTheTest?: string | undefined;
}

/**
 * What a scenario left behind after its faults were healed, by name, whatever the faults were (each
 * fault checks its own traces too: ChaosRun.leftovers): units not back to active, a dead-man switch
 * still armed, every kind of host state a fault could change (HostSnapshot), lost markers. Empty: clean.
 */
export async function findResidue(stack: Stack, context: ResidueContext): Promise<string[]> {
  const residue: string[] = [];
  const down: [string, string][] = [];
  for (const unit of stack.deployment.services) {
    const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    if (state !== "active") down.push([unit, state]);
  }
  // A unit that cannot run on this host was not running before the scenario either. Asked after its
  // state was read: one that crashes between the two reads is then seen to have failed.
  const notHere = down.length === 0 ? new Map<string, string>() : await unitsNotRunningHere(stack);
  for (const [unit, state] of down) if (!notHere.has(unit)) residue.push(`unit ${unit} is ${state}`);
  const deadMan = await stack.host.run(LIST_DEAD_MAN_SWITCHES, { check: false });
  const outliving = context.switchOutlivingTheTest;
  for (const left of lines(deadMan.stdout).filter((l) => outliving === undefined || !l.includes(outliving)))
    residue.push(`dead-man switch ${left} is still there`);
  if (context.before !== undefined) residue.push(...(await hostChanges(stack, context.before)));
  if (context.markers.count > 0) {
    const lost = await context.markers.missing();
    if (lost.length > 0) residue.push(`markers lost: ${lost.join(", ")}`);
  }
  return residue;
}
