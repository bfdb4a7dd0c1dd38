import { access, readdir } from "node:fs/promises";
import path from "node:path";
import type { Host } from "../host/host.ts";

const LOCAL_CA_DIR = "/usr/local/share/ca-certificates";
const PIP_CONF = "/etc/pip.conf";

/**
 * Gives the host this machine's own certificate authorities and pip configuration. Where the machine
 * reaches package registries through a TLS-inspecting proxy, its CA is among them; without it pip on
 * the host fails certificate verification. Machines with no local CAs change nothing.
 */
export async function mirrorMachineTrust(host: Host): Promise<void> {
  const certificates = (await readdir(LOCAL_CA_DIR).catch(() => [])).filter((name) => name.endsWith(".crt"));
  for (const name of certificates)
    await host.copyIn(path.join(LOCAL_CA_DIR, name), `${LOCAL_CA_DIR}/${name}`);
  if (certificates.length > 0) await host.run("update-ca-certificates >/dev/null");
  const hasPipConf = await access(PIP_CONF).then(
    () => true,
    () => false,
  );
  if (hasPipConf) await host.copyIn(PIP_CONF, PIP_CONF);
}
