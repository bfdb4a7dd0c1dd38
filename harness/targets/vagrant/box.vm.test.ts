// The box end to end: a VM booted from it under QEMU's TCG reaches systemd `running` with Docker and
// Compose v2, and destroying it and stopping libvirt leaves nothing. In the `vm` project (.ci/vagrant):
// it needs QEMU, libvirt and Vagrant, and minutes of emulation.
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import type { CommandResult } from "../../host/command.ts";
import { runLocal } from "../../host/local-command.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { ensureBox } from "./box.ts";
import { startLibvirt } from "./libvirt.ts";
import { liveProcesses, networkLinks, pathExists } from "../../testing/machine-state.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

it("boots the box as a libvirt VM with systemd and Docker, and leaves nothing once destroyed", async () => {
  const linksBefore = await networkLinks();
  const definitionsBefore = await readdir("/etc/libvirt/qemu/networks");
  let started = performance.now();
  const box = await ensureBox(log);
  log(`ensureBox: ${((performance.now() - started) / 1000).toFixed(1)}s`);

  const libvirt = await startLibvirt(log);
  try {
    // The directory's name starts the domain's: sattva-chaos-vm-…_default, as the Vagrant target's.
    await withTempDir("vm", async (dir) => {
      const vagrantfile = [
        'Vagrant.configure("2") do |config|',
        `  config.vm.box = ${JSON.stringify(box.name)}`,
        '  config.vm.synced_folder ".", "/vagrant", disabled: true',
        "  config.vm.provider :libvirt do |libvirt|",
        '    libvirt.driver = "qemu"',
        `    libvirt.uri = ${JSON.stringify(libvirt.uri)}`,
        `    libvirt.storage_pool_name = ${JSON.stringify(libvirt.poolName)}`,
        "    libvirt.memory = 2048",
        "    libvirt.cpus = 2",
        "  end",
        "end",
        "",
      ].join("\n");
      await writeFile(path.join(dir, "Vagrantfile"), vagrantfile);
      // Each call has its own deadline: Vagrant's wait for the DHCP lease has none.
      const vagrant = (args: readonly string[], timeoutMs: number, check = true): Promise<CommandResult> =>
        runLocal("vagrant", args, { env: { VAGRANT_CWD: dir, VAGRANT_NO_COLOR: "1" }, timeoutMs, check });
      try {
        started = performance.now();
        await vagrant(["up", "--provider", "libvirt"], 15 * 60_000);
        log(
          `vagrant up (box upload into the pool included): ${((performance.now() - started) / 1000).toFixed(1)}s`,
        );

        started = performance.now();
        const ssh = await vagrant(
          [
            "ssh",
            "-c",
            "systemctl is-system-running --wait; sudo docker info --format {{.ServerVersion}}; docker compose version",
          ],
          5 * 60_000,
        );
        log(`vagrant ssh: ${((performance.now() - started) / 1000).toFixed(1)}s\n${ssh.stdout}`);
        expect(ssh.stdout).toMatch(/^running\r?$/m);
        expect(ssh.stdout).toMatch(/^\d+\.\d+\.\d+\S*\r?$/m);
        expect(ssh.stdout).toMatch(/Docker Compose version v?2\./);
      } finally {
        started = performance.now();
        await vagrant(["destroy", "-f"], 5 * 60_000, false);
        log(`vagrant destroy: ${((performance.now() - started) / 1000).toFixed(1)}s`);
      }
      const domains = await runLocal("virsh", ["-c", libvirt.uri, "list", "--all", "--name"]);
      expect(domains.stdout.trim()).toBe("");
    });
  } finally {
    await libvirt.stop();
  }

  expect(await liveProcesses("libvirtd")).toEqual([]);
  expect(await liveProcesses("virtlogd")).toEqual([]);
  expect(await liveProcesses("qemu-system-x86_64")).toEqual([]);
  expect(await liveProcesses("dnsmasq")).toEqual([]);
  expect(await networkLinks()).toEqual(linksBefore);
  expect(await readdir("/etc/libvirt/qemu/networks")).toEqual(definitionsBefore);
  expect((await readdir("/etc/libvirt/qemu")).filter((file) => file.endsWith(".xml"))).toEqual([]);
  for (const tool of ["iptables-save", "ip6tables-save"]) {
    expect((await runLocal(tool, [])).stdout, `${tool}: libvirt's chains`).not.toMatch(/LIBVIRT_/);
  }
  expect(await pathExists("/var/lib/sattva-chaos/libvirt/pool")).toBe(false);
});
