import type { Host } from "../../host/host.ts";
import type { Stack } from "../../stack/stack.ts";
import { InconclusiveError } from "../verdict.ts";
import { healedBy, type Fault } from "../fault.ts";

/** Where the firewall fault keeps what it changes, to put it back: /etc/ufw, the chains' policies, kernel settings. */
const SAVED = "/var/lib/sattva-chaos/firewall-before";
/** The comment on every rule the harness adds itself (the closing rules), so the heal finds exactly them. */
export const HARNESS_RULE_COMMENT = "sattva-chaos-firewall";

/**
 * Saves what enabling UFW changes: its own files, the filter chains' policies (UFW's stop sets them to
 * ACCEPT, Docker's FORWARD is DROP) and the kernel settings its sysctl.conf writes.
 */
const SAVE = [
  "set -e",
  `rm -rf ${SAVED} && mkdir -p ${SAVED}`,
  `cp -a /etc/ufw ${SAVED}/ufw && cp -a /etc/default/ufw ${SAVED}/default-ufw`,
  `for key in $(sed -n 's/^\\([a-z][^=# ]*\\)=.*/\\1/p' /etc/ufw/sysctl.conf); do echo "$key=$(sysctl -n "$key")"; done > ${SAVED}/sysctl.conf`,
  `{ iptables -S | sed -n 's/^-P/iptables -P/p'; ip6tables -S 2>/dev/null | sed -n 's/^-P/ip6tables -P/p'; } > ${SAVED}/policies.sh`,
].join("\n");

/**
 * Back to before: UFW stopped and its files, policies and kernel settings restored, the harness's own
 * closing rules deleted. One line, for the dead-man switch; nothing to do when nothing was saved.
 */
const RESTORE = [
  `if [ -d ${SAVED} ]; then ufw --force disable >/dev/null 2>&1 || true`,
  // UFW's stop empties its chains but leaves them, and the jumps to them, in place.
  `for t in iptables ip6tables; do $t -S 2>/dev/null | grep -E '^-A [A-Z]+ -j ufw6?-' | sed 's/^-A/-D/' | while read -r rule; do $t $rule; done; chains=$($t -S 2>/dev/null | sed -n 's/^-N \\(ufw6\\{0,1\\}-[^ ]*\\)$/\\1/p'); for c in $chains; do $t -F $c; done; for c in $chains; do $t -X $c; done; done`,
  `rm -rf /etc/ufw && cp -a ${SAVED}/ufw /etc/ufw && cp -a ${SAVED}/default-ufw /etc/default/ufw`,
  `sysctl -q -p ${SAVED}/sysctl.conf`,
  `sh ${SAVED}/policies.sh`,
  `rm -rf ${SAVED}; fi`,
  `iptables -S | grep -- '--comment ${HARNESS_RULE_COMMENT}' | sed 's/^-A //' | while read -r rule; do eval "iptables -D $rule"; done`,
].join("; ");

/**
 * A host firewall as a VPS operator turns it on from common practice: UFW, deny incoming, allow SSH and
 * the public web port (`allow`, UFW's own words: "22/tcp", "3000/tcp"). The runbook gives no firewall, so
 * these are the scenario's rules, named in its journal. Proof: UFW reports itself active with them.
 */
export function ufwAsOnAVps(allow: readonly string[]): Fault {
  return {
    name: `UFW enabled: default deny incoming, allow ${allow.join(", ")}`,
    params: { rules: ["default deny incoming", ...allow.map((rule) => `allow ${rule}`)].join("; ") },
    async inject(stack) {
      if ((await stack.host.run("command -v ufw", { check: false })).exitCode !== 0)
        throw new InconclusiveError(`ufw is not installed on ${stack.host.name}: no firewall to turn on`);
      await stack.host.run(
        [
          SAVE,
          "ufw default deny incoming",
          ...allow.map((rule) => `ufw allow ${rule}`),
          "ufw --force enable",
        ].join("\n"),
      );
    },
    async prove(stack) {
      const status = (await stack.host.run("ufw status verbose")).stdout;
      if (!/^Status: active/m.test(status)) throw new Error(`ufw is not active:\n${status}`);
      return status.trim();
    },
    ...healedBy(RESTORE),
    async leftovers(stack) {
      const left = await stack.host.run(
        `test -d ${SAVED} && echo "${SAVED} is still there"; ufw status 2>/dev/null | grep -q '^Status: active' && echo "ufw is active"; iptables -S | grep -- '${HARNESS_RULE_COMMENT}'`,
        { check: false },
      );
      return left.stdout.split("\n").filter((line) => line.trim() !== "");
    },
  };
}

/**
 * Allows `from` (a subnet, as UFW writes it) to reach the host: the fix for a firewall that cut the
 * stack's containers off the host (nginx from the backend, Prometheus from its targets, Alertmanager
 * from its webhook). Undone with the firewall fault (its files are restored).
 */
export async function ufwAllowFrom(host: Host, from: string): Promise<string> {
  await host.run(`ufw allow from ${from}`);
  return `ufw allow from ${from}`;
}

/** The IPv4 subnets of the Docker networks the stack's containers are on: where their traffic to the host comes from. */
export async function stackSubnets(stack: Stack): Promise<string[]> {
  const ids = (await stack.compose("ps -q")).stdout.trim().split("\n").filter(Boolean);
  if (ids.length === 0) throw new Error("the compose project has no container");
  const subnets = await stack.host.run(
    `for network in $(docker inspect -f '{{range .NetworkSettings.Networks}}{{.NetworkID}} {{end}}' ${ids.join(" ")}); do docker network inspect -f '{{range .IPAM.Config}}{{.Subnet}} {{end}}' "$network"; done`,
  );
  return [...new Set(subnets.stdout.split(/\s+/).filter((s) => s.includes("/") && !s.includes(":")))];
}
