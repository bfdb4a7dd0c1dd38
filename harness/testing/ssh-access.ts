import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Host } from "../host/host.ts";
import { runLocal } from "../host/local-command.ts";

export interface SshAccess {
  /** `ssh://root@<the host's address on its network>` */
  readonly url: string;
  readonly key: string;
  readonly knownHosts: string;
}

/**
 * Makes a container host reachable over SSH the way a staging host is: fresh host keys, sshd on
 * port 22 at the host's own address on its network (so the exposure audit sees it from outside, as a
 * staging host's would be), root's authorized key made here. Keys and known_hosts go to `dir`.
 */
export async function openSshAccess(host: Host, dir: string): Promise<SshAccess> {
  const key = path.join(dir, "id_ed25519");
  await runLocal("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "sattva-chaos-test", "-f", key]);
  const publicKey = await readFile(`${key}.pub`, "utf8");
  await host.run(
    "install -d -m 700 /root/.ssh && cat > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys",
    { input: publicKey },
  );
  const hostKey = await host.run(
    "ssh-keygen -A >/dev/null && systemctl start ssh && cat /etc/ssh/ssh_host_ed25519_key.pub",
  );
  const { address } = await host.outside();
  const knownHosts = path.join(dir, "known_hosts");
  const [type, value] = hostKey.stdout.trim().split(" ");
  await writeFile(knownHosts, `${address} ${type ?? ""} ${value ?? ""}\n`);
  return { url: `ssh://root@${address}`, key, knownHosts };
}
