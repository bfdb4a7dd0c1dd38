// The Vagrant target end to end, through the real command line: the same scenario files as the
// container and ssh targets, in a VM from a template of the local Debian 12 box under QEMU, and then
// nothing left on this machine: no domain, volume, pool, network, firewall chain, daemon, VM project
// or changed libvirt config, also when the run is stopped with SIGTERM midway.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { expect, it } from "vitest";
import { ExitCode } from "../../errors.ts";
import { runLocal } from "../../host/local-command.ts";
import { reportDir } from "../../scenario/report-dir.ts";
import { CLI_BIN, PLAIN_OUTPUT, sattvaChaos } from "../../testing/cli.ts";
import { liveProcesses, networkLinks } from "../../testing/machine-state.ts";
import { vmRunDeadlineMs } from "./vagrant-cli.ts";
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
  const chains = await Promise.all(
    ["iptables", "ip6tables"].flatMap((tool) =>
      ["filter", "nat", "mangle"].map(async (table) => {
        const saved = await runLocal(`${tool}-save`, ["-t", table], { check: false });
        return saved.stdout
          .split("\n")
          .filter((line) => line.startsWith(":LIBVIRT_"))
          .map((line) => `${tool} ${table} ${line.split(" ")[0] ?? ""}`);
      }),
    ),
  );
  const qemuConf = createHash("sha256")
    .update(await readFile("/etc/libvirt/qemu.conf").catch(() => ""))
    .digest("hex");
  return [
    `processes:\n${processes}`,
    `links:\n${(await networkLinks()).sort().join("\n")}`,
    `files:\n${files.join("\n")}`,
    `firewall chains:\n${chains.flat().join("\n")}`,
    `qemu.conf ${qemuConf}`,
  ].join("\n");
}

/** smoke's 3 tests and nginx-502's 4, in two files: the run's deadline comes from its phases. */
const DEADLINE_MS = vmRunDeadlineMs({ files: 2, tests: 7 });

it(
  "smoke and nginx-502 pass on a Vagrant VM (QEMU), and the teardown leaves nothing behind",
  async () => {
    const before = await footprint();
    const run = await sattvaChaos(
      ["run", "smoke", "nginx-502", "--target", "vagrant", "--report", reportDir("vagrant")],
      {},
      { timeoutMs: DEADLINE_MS },
    );
    process.stderr.write(
      run.stderr
        .split("\n")
        .filter((line) => /▸|vm |libvirt|box/.test(line))
        .join("\n"),
    );
    expect(run.exitCode, run.stderr.slice(-5000)).toBe(ExitCode.passed);
    expect(run.stderr).toMatch(/vm sattva-chaos-vm-\w+: SSH-ready with systemd running and Docker up/);
    // A VM from the template: nothing loaded through SSH, nothing provisioned under emulation; reset to
    // its baseline for the second file, provisioning it again finds nothing to change.
    expect(run.stderr).not.toMatch(/image\(s\) loaded into the VM's engine/);
    expect(run.stderr).toMatch(
      /host sattva-chaos-vm-\w+: provisioned: a copy of sattva-chaos\/vm-template-\w+/,
    );
    expect(run.stderr.match(/host sattva-chaos-vm-\w+: provisioning the stack/g)).toHaveLength(1);
    expect(run.stderr).toMatch(/host sattva-chaos-vm-\w+: provisioned in [\d.]+s \(nothing to change\)/);
    expect(await footprint()).toBe(before);
  },
  DEADLINE_MS + 10 * 60_000,
);

it("a SIGTERM to a VM run (a CI job's timeout) leaves nothing behind once it exits", async () => {
  const before = await footprint();
  const run = spawn(process.execPath, [CLI_BIN, "run", "smoke", "--target", "vagrant"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...PLAIN_OUTPUT },
  });
  // What the run says, kept whole: after the SIGTERM it is what its teardown did (or could not do).
  const said: string[] = [];
  const booted = new Promise<boolean>((resolve) => {
    const lines = createInterface({ input: run.stderr });
    lines.on("line", (line) => {
      said.push(line);
      process.stderr.write(/▸|vm |libvirt|box|SIGTERM/.test(line) ? `${line}\n` : "");
      if (/vm sattva-chaos-vm-\w+: SSH-ready/.test(line)) resolve(true);
    });
    lines.on("close", () => {
      resolve(false);
    });
  });
  expect(await booted, "the run booted its VM").toBe(true);
  const atSigterm = said.length;
  // The run's own process only, as a CI job's timeout sends it.
  run.kill("SIGTERM");
  // "close": it exited and its stderr is read to the end.
  const [exitCode] = (await once(run, "close")) as [number | null];
  const afterSigterm = said.slice(atSigterm).join("\n");
  expect(exitCode, afterSigterm).toBe(143);
  expect(await footprint(), `what the run said after SIGTERM:\n${afterSigterm}`).toBe(before);
});
