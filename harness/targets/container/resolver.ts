import { readFile } from "node:fs/promises";
import { EnvironmentError } from "../../errors.ts";

/** Nameservers in a resolv.conf text that are reachable from a container (not loopback). */
export function usableNameservers(resolvConf: string): string[] {
  return [...resolvConf.matchAll(/^\s*nameserver\s+(\S+)/gm)]
    .map((match) => match[1] ?? "")
    .filter((address) => address !== "" && !address.startsWith("127.") && address !== "::1");
}

/**
 * This machine's resolver, for the inner Docker engine's "dns": without it, inner containers on the
 * host's user-defined network would silently fall back to public DNS servers, which are off limits.
 */
export async function machineResolver(): Promise<string> {
  for (const file of ["/etc/resolv.conf", "/run/systemd/resolve/resolv.conf"]) {
    const [first] = usableNameservers(await readFile(file, "utf8").catch(() => ""));
    if (first !== undefined) return first;
  }
  throw new EnvironmentError(
    "no non-loopback nameserver in /etc/resolv.conf or /run/systemd/resolve/resolv.conf: " +
      "inner containers need this machine's resolver and must not fall back to public DNS",
  );
}
