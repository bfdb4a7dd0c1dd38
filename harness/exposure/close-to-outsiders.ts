import { HARNESS_RULE_COMMENT } from "../chaos/faults/firewall.ts";
import type { Host } from "../host/host.ts";

/** What to close to outsiders: ports of the host's own processes, and ports Docker publishes. */
export interface Closing {
  /** The host's address on the network outsiders come from: its interface is the one closed. */
  readonly address: string;
  /** Ports host processes listen on (the backend's): dropped in INPUT. */
  readonly hostPorts: readonly number[];
  /** Ports Docker publishes: dropped in DOCKER-USER, the one chain Docker's own rules do not bypass. */
  readonly publishedPorts: readonly number[];
  /** A source left open, as an operator keeps their own address (the harness's, see OutsideView). */
  readonly keepOpenFor?: string;
}

/** The iptables rules closing `closing`'s ports on the outsiders' interface, as `iptables -I` takes them. */
export function closingRules(closing: Closing, iface: string): string[] {
  const tagged = `-m comment --comment ${HARNESS_RULE_COMMENT} -j DROP`;
  const from = `-i ${iface}${closing.keepOpenFor === undefined ? "" : ` ! -s ${closing.keepOpenFor}`}`;
  return [
    ...closing.hostPorts.map((port) => `INPUT ${from} -p tcp --dport ${port} ${tagged}`),
    // After Docker's DNAT the destination port is the container's: match the port outsiders asked for.
    ...closing.publishedPorts.map(
      (port) => `DOCKER-USER ${from} -p tcp -m conntrack --ctorigdstport ${port} --ctdir ORIGINAL ${tagged}`,
    ),
  ];
}

/**
 * Closes ports to outsiders the way an operator fixing an exposed VPS would, leaving the host's own
 * paths (nginx to 172.17.0.1:8000 over the Docker bridge, loopback) alone. Returns the rules used; they
 * carry the firewall fault's comment, so its heal deletes exactly them.
 */
export async function closeToOutsiders(host: Host, closing: Closing): Promise<string[]> {
  const iface = (
    await host.run(`ip -o addr show to ${closing.address} | awk '{print $2; exit}'`)
  ).stdout.trim();
  if (iface === "") throw new Error(`${host.name} has no interface with the address ${closing.address}`);
  const rules = closingRules(closing, iface);
  await host.run(["set -e", ...rules.map((rule) => `iptables -I ${rule}`)].join("\n"));
  return rules.map((rule) => `iptables -I ${rule}`);
}
