// The Vagrant target end to end, through the real command line: the same scenario files as the
// container and ssh targets, in a VM from the local Debian 12 box under QEMU, and then nothing left
// on this machine: no domain, volume, pool, network, daemon, VM project or changed libvirt config.
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { ExitCode } from "../../errors.ts";
import { reportDir } from "../../scenario/report-dir.ts";
import { sattvaChaos } from "../../testing/cli.ts";
import { liveProcesses, networkLinks } from "../../testing/machine-state.ts";
import { vmsDir } from "./vagrant-target.ts";

/** What a VM run could leave on this machine, as text to compare before and after. */
async function footprint(): Promise<string> {
  // Live ones: a daemon that exited may stay a zombie for a moment until init reaps it.
  const daemons = ["libvirtd", "virtlogd", "qemu-system-x86_64", "dnsmasq"];
  const processes = (
    await Promise.all(daemons.map(async (name) => `${name}: ${(await liveProcesses(name)).length}`))
  ).join("\n");
  const listing = async (dir: string) =>
    (await readdir(dir, { recursive: true }).catch(() => [])).sort().map((entry) => path.join(dir, entry));
  const files = [
    ...(await listing("/etc/libvirt")),
    ...(await listing("/var/lib/sattva-chaos")),
    ...(await listing("/run/sattva-chaos")),
    ...(await listing(vmsDir())),
  ];
  const qemuConf = createHash("sha256")
    .update(await readFile("/etc/libvirt/qemu.conf").catch(() => ""))
    .digest("hex");
  return [
    `processes:\n${processes}`,
    `links:\n${(await networkLinks()).sort().join("\n")}`,
    `files:\n${files.join("\n")}`,
    `qemu.conf ${qemuConf}`,
  ].join("\n");
}

it("smoke and nginx-502 pass on a Vagrant VM (QEMU), and the teardown leaves nothing behind", async () => {
  const before = await footprint();
  const run = await sattvaChaos([
    "run",
    "smoke",
    "nginx-502",
    "--target",
    "vagrant",
    "--report",
    reportDir("vagrant"),
  ]);
  process.stderr.write(
    run.stderr
      .split("\n")
      .filter((line) => /▸|vm |libvirt|box/.test(line))
      .join("\n"),
  );
  expect(run.exitCode, run.stderr.slice(-5000)).toBe(ExitCode.passed);
  expect(run.stderr).toMatch(/vm sattva-chaos-vm-\w+: SSH-ready with systemd running and Docker up/);
  expect(await footprint()).toBe(before);
});
