import type { Host } from "../host/host.ts";

/** What to close to outsiders: ports of the host's own processes, and ports Docker publishes. */
export interface Closing {
  /** The host's address on the network outsiders come from: its interface is the one closed. */
  readonly address: string;
  /** Ports host processes listen on (the backend's): dropped in INPUT. */
  readonly hostPorts: readonly number[];
  /** Ports Docker publishes: dropped in DOCKER-USER, the one chain Docker's own rules do not bypass. */
  readonly publishedPorts: readonly number[];
}

/** The iptables rules closing `closing`'s ports on the outsiders' interface, one per line, as written. */
export function closingRules(closing: Closing, iface: string): string[] {
  return [
    ...closing.hostPorts.map((port) => `INPUT -i ${iface} -p tcp --dport ${port} -j DROP`),
    // After Docker's DNAT the destination port is the container's: match the port outsiders asked for.
    ...closing.publishedPorts.map(
      (port) =>
        `DOCKER-USER -i ${iface} -p tcp -m conntrack --ctorigdstport ${port} --ctdir ORIGINAL -j DROP`,
    ),
  ];
}

/**
 * Closes ports to outsiders the way an operator fixing an exposed VPS would, leaving the host's own
 * paths (nginx to 172.17.0.1:8000 over the Docker bridge, loopback) alone. Returns the rules used and
 * their undo, which deletes exactly those rules.
 */
export async function closeToOutsiders(
  host: Host,
  closing: Closing,
): Promise<{ rules: string[]; reopen: () => Promise<void> }> {
  const iface = (
    await host.run(`ip -o addr show to ${closing.address} | awk '{print $2; exit}'`)
  ).stdout.trim();
  if (iface === "") throw new Error(`${host.name} has no interface with the address ${closing.address}`);
  const rules = closingRules(closing, iface);
  await host.run(["set -e", ...rules.map((rule) => `iptables -I ${rule}`)].join("\n"));
  return {
    rules,
    reopen: async () => {
      await host.run(rules.map((rule) => `iptables -D ${rule}`).join("\n"), { check: false });
    },
  };
}
