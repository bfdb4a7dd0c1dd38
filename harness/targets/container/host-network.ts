import { docker } from "../../docker/docker-cli.ts";
import { CommandError, type CommandResult } from "../../host/command.ts";
import { labelArgs } from "../../docker/labels.ts";

/**
 * Host containers get a network of their own: on Docker's default bridge the inner docker0 would
 * become 172.18.0.1 and the runbook's `proxy_pass http://172.17.0.1:8000` would break. Subnets come
 * from 10.213.0.0/16, clear of Docker's default pools (172.17-31.x, 192.168.x) used inside the host.
 */
const POOL_PREFIX = "10.213";

/** A free /24 of the pool, chosen at random so two runs starting together rarely pick the same one. */
export function pickFreeSubnet(
  used: ReadonlySet<string>,
  random: () => number = Math.random,
): string | undefined {
  const free: string[] = [];
  for (let third = 0; third < 256; third++) {
    const subnet = `${POOL_PREFIX}.${third}.0/24`;
    if (!used.has(subnet)) free.push(subnet);
  }
  return free[Math.floor(random() * free.length)];
}

/**
 * The subnets a `docker network inspect` of many ids printed. A concurrent run may remove a network
 * between `ls` and `inspect`: its subnet is free then, so "not found" for some ids is expected; any
 * other failure is not.
 */
export function subnetsFromInspect(inspected: CommandResult): Set<string> {
  const unexpected = inspected.stderr
    .split("\n")
    .some((line) => line.trim() !== "" && !/network \S+ not found/i.test(line));
  if (inspected.timedOut || (inspected.exitCode !== 0 && unexpected)) throw new CommandError(inspected);
  return new Set(inspected.stdout.split(/\s+/).filter((subnet) => subnet !== ""));
}

async function subnetsInUse(): Promise<Set<string>> {
  const ids = (await docker(["network", "ls", "-q"])).stdout.split("\n").filter((id) => id !== "");
  const inspected = await docker(
    ["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", ...ids],
    { check: false },
  );
  return subnetsFromInspect(inspected);
}

/** Creates the network, retrying with another subnet if a concurrent run took the chosen one. */
export async function createHostNetwork(name: string, labels: Record<string, string>): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const subnet = pickFreeSubnet(await subnetsInUse());
    if (subnet === undefined)
      throw new Error(`no free /24 left in ${POOL_PREFIX}.0.0/16 for host network ${name}`);
    try {
      await docker([
        "network",
        "create",
        "--driver",
        "bridge",
        "--subnet",
        subnet,
        ...labelArgs(labels),
        name,
      ]);
      return subnet;
    } catch (error) {
      const overlap = error instanceof CommandError && /overlap/i.test(error.stderr);
      if (!overlap || attempt >= 5) throw error;
    }
  }
}
