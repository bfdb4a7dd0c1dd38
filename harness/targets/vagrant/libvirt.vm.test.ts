// libvirt started and stopped for real, and cleaned after a killed run. In the `vm` project
// (.ci/vagrant), the job that installs libvirt.
import { execa } from "execa";
import { readFile, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { runLocal } from "../../host/local-command.ts";
import { cleanOrphanLibvirt, startLibvirt } from "./libvirt.ts";
import { liveProcesses, pathExists } from "../../testing/machine-state.ts";

const LIBVIRT_MODULE = fileURLToPath(new URL("./libvirt.ts", import.meta.url));

it("starts libvirtd with a default pool and leaves the machine as it was when stopped", async () => {
  const qemuConf = await readFile("/etc/libvirt/qemu.conf");
  expect(await liveProcesses("libvirtd"), "a libvirtd already runs: this test needs its own").toEqual([]);

  const lines: string[] = [];
  const libvirt = await startLibvirt((line) => lines.push(line));
  try {
    expect(libvirt.uri).toBe("qemu:///system");
    const pool = await runLocal("virsh", ["-c", libvirt.uri, "pool-info", libvirt.poolName]);
    expect(pool.stdout).toMatch(/State:\s+running/);
    expect(await readFile("/etc/libvirt/qemu.conf", "utf8")).toMatch(/^security_driver = "none"$/m);
    expect(await pathExists("/run/sattva-chaos/libvirtd.pid")).toBe(true);
  } finally {
    await Promise.all([libvirt.stop(), libvirt.stop()]);
  }
  await libvirt.stop();

  expect(lines.join("\n")).toMatch(/started virtlogd and libvirtd/);
  expect(await liveProcesses("libvirtd")).toEqual([]);
  expect(await liveProcesses("virtlogd")).toEqual([]);
  expect(await pathExists("/var/lib/sattva-chaos/libvirt/pool")).toBe(false);
  expect(await pathExists("/run/sattva-chaos/libvirtd.pid")).toBe(false);
  expect(await pathExists("/run/sattva-chaos/libvirt.json")).toBe(false);
  expect(await readFile("/etc/libvirt/qemu.conf")).toEqual(qemuConf);
});

it("a run killed with SIGKILL leaves libvirt to `clean`, which removes its daemons, domains and pool", async () => {
  const qemuConf = await readFile("/etc/libvirt/qemu.conf");
  // The run defines a domain and a network, and makes the pool persistent, as vagrant-libvirt would,
  // then dies without stopping.
  const script = `
    import { startLibvirt } from ${JSON.stringify(LIBVIRT_MODULE)};
    import { execFileSync } from "node:child_process";
    import { writeFileSync } from "node:fs";
    const libvirt = await startLibvirt();
    const define = (kind, xml) => {
      writeFileSync("/tmp/sattva-chaos-orphan.xml", xml);
      execFileSync("virsh", ["-c", libvirt.uri, kind, "/tmp/sattva-chaos-orphan.xml"]);
    };
    define("define", "<domain type='qemu'><name>sattva-chaos-vm-orphan_default</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>");
    define("net-define", "<network><name>sattva-chaos-orphan</name><bridge name='scorphan0'/></network>");
    define("pool-define", execFileSync("virsh", ["-c", libvirt.uri, "pool-dumpxml", libvirt.poolName]).toString());
    console.log("ready");
    setInterval(() => undefined, 1000);
  `;
  const run = execa(process.execPath, ["--input-type=module", "-e", script], { reject: false });
  await new Promise<void>((resolve, reject) => {
    run.stdout.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) resolve();
    });
    void run.then((result) => {
      reject(new Error(`the run ended before it was ready: ${result.stderr}`));
    });
  });
  run.kill("SIGKILL");
  await run;
  await rm("/tmp/sattva-chaos-orphan.xml", { force: true });
  expect(await liveProcesses("libvirtd")).not.toEqual([]);

  const removed = await cleanOrphanLibvirt();
  expect(removed).toEqual(
    expect.arrayContaining([
      "domain sattva-chaos-vm-orphan_default",
      "network sattva-chaos-orphan",
      "pool default",
      "pool default (defined by vagrant-libvirt during the run)",
      "/etc/libvirt/qemu.conf restored",
    ]),
  );
  expect(removed.join("\n")).toMatch(/^libvirtd \(pid \d+\)$/m);
  expect(await pathExists("/etc/libvirt/storage/default.xml")).toBe(false);
  expect(await liveProcesses("libvirtd")).toEqual([]);
  expect(await liveProcesses("virtlogd")).toEqual([]);
  expect(await pathExists("/var/lib/sattva-chaos/libvirt/pool")).toBe(false);
  expect(await pathExists("/etc/libvirt/qemu/sattva-chaos-vm-orphan_default.xml")).toBe(false);
  expect(await pathExists("/etc/libvirt/qemu/networks/sattva-chaos-orphan.xml")).toBe(false);
  expect(await readFile("/etc/libvirt/qemu.conf")).toEqual(qemuConf);
  expect(await cleanOrphanLibvirt()).toEqual([]);
});

it("a kept libvirt outlives its run, is shared by the next one, and goes with `clean`", async () => {
  const qemuConf = await readFile("/etc/libvirt/qemu.conf");
  const script = `
    import { startLibvirt } from ${JSON.stringify(LIBVIRT_MODULE)};
    await startLibvirt(() => undefined, { keep: true });
  `;
  const kept = await execa(process.execPath, ["--input-type=module", "-e", script], { reject: false });
  expect(kept.exitCode, kept.stderr).toBe(0);
  const daemons = await liveProcesses("libvirtd");
  expect(daemons).toHaveLength(1);

  const lines: string[] = [];
  const shared = await startLibvirt((line) => lines.push(line));
  expect(lines.join("\n")).toMatch(/reusing the libvirt kept by an earlier run/);
  await runLocal("virsh", ["-c", shared.uri, "pool-info", shared.poolName]);
  await shared.stop();
  expect(await liveProcesses("libvirtd")).toEqual(daemons);

  const removed = await cleanOrphanLibvirt();
  expect(removed).toEqual(expect.arrayContaining(["pool default", "/etc/libvirt/qemu.conf restored"]));
  expect(await liveProcesses("libvirtd")).toEqual([]);
  expect(await liveProcesses("virtlogd")).toEqual([]);
  expect(await readFile("/etc/libvirt/qemu.conf")).toEqual(qemuConf);
});
