import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Host } from "../host/host.ts";

const LOCAL_CA_DIR = "/usr/local/share/ca-certificates";
const PIP_CONF = "/etc/pip.conf";

/**
 * Gives the host this machine's own certificate authorities and pip configuration. Where the machine
 * reaches package registries through a TLS-inspecting proxy, its CA is among them; without it pip on
 * the host fails certificate verification. Machines with no local CAs change nothing, and a host that
 * has them already (a copy of a template, a VM reset to its snapshot) is left as it is: rebuilding the
 * CA bundle takes half a minute in a VM under emulation.
 */
export async function mirrorMachineTrust(host: Host): Promise<void> {
  const certificates = await machineCertificates();
  const files = [...certificates, ...((await readable(PIP_CONF)) ? [PIP_CONF] : [])];
  if (files.length === 0) return;
  const onHost = await host.run(`sha256sum ${files.join(" ")} 2>/dev/null || true`);
  const differing = [];
  for (const file of files) {
    const digest = createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
    if (!onHost.stdout.includes(`${digest}  ${file}`)) differing.push(file);
  }
  for (const file of differing) await host.copyIn(file, file);
  if (differing.some((file) => certificates.includes(file)))
    await host.run("update-ca-certificates >/dev/null");
}

/** This machine's own certificate authorities (a TLS-inspecting proxy's among them), in a stable order. */
export async function machineCertificates(): Promise<string[]> {
  return (await readdir(LOCAL_CA_DIR).catch(() => []))
    .filter((name) => name.endsWith(".crt"))
    .map((name) => path.join(LOCAL_CA_DIR, name))
    .sort();
}

async function readable(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}
