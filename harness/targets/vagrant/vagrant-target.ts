import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { currentOwner, isOwnerAlive } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import { once, type Host } from "../../host/host.ts";
import { loadImagesIntoHost } from "../../images/load-into-host.ts";
import { cacheDir } from "../../lifecycle/cache-dir.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { mirrorMachineTrust } from "../machine-trust.ts";
import { SshConnection } from "../ssh/ssh-connection.ts";
import { SshHost } from "../ssh/ssh-host.ts";
import { provisionHost, type HostOptions, type Target } from "../target.ts";
import { releaseHeldUnits } from "../held-units.ts";
import { ensureBox } from "./box.ts";
import { ensureVmTemplate } from "./vm-template.ts";
import { cleanOrphanLibvirt, startLibvirt, type Libvirt } from "./libvirt.ts";
import { BASELINE_SNAPSHOT, VAGRANTFILE, VagrantDeadline, VagrantProject } from "./vagrant-cli.ts";

/** Where VM projects live; each directory name is also the start of the libvirt domain's name. */
export function vmsDir(): string {
  return cacheDir("vms");
}

/** What a VM project records about itself, for `clean`/`down` and for reuse. */
interface VmRecord {
  /** `pid:starttime` of the process that answers for it (the run's command line, else the maker). */
  readonly owner: string;
  /** Left up after its run (`--keep`, `up`): reused by later --keep runs, removed by `down`. */
  readonly keep: boolean;
  /** The run whose scenario files share it. */
  readonly run?: string;
  /** The box the VM was made from (the Vagrantfile needs it to load again). */
  readonly box: string;
}

const RECORD = "sattva-chaos-vm.json";

/** Timings of bringing one VM up, in ms, for the benchmark. */
export interface VmBootTimings {
  readonly vagrantUpToSshReady: number;
  readonly imagesLoaded: number;
}

/** A VM the harness made, reached over SSH; `timings` says where its boot time went. */
export class VagrantHost extends SshHost {
  timings: VmBootTimings = { vagrantUpToSshReady: 0, imagesLoaded: 0 };
  baseline?: { save(): Promise<void> };
}

/** KVM does not run stock guests on every machine (nested hypervisors); TCG (`qemu`) always works. */
export function vagrantDriver(): string {
  return process.env["SATTVA_VM_LIBVIRT_DRIVER"] ?? "qemu";
}

/**
 * The environment the repository's Vagrantfile reads (see its header): the harness deploys through
 * its own SSH connection with its images, and forwards ports itself.
 */
function vagrantEnv(box: string): Record<string, string> {
  return {
    VAGRANT_DEFAULT_PROVIDER: "libvirt",
    SATTVA_VM_BOX: box,
    SATTVA_VM_LIBVIRT_DRIVER: vagrantDriver(),
    SATTVA_VM_PROVISION: "no",
    SATTVA_VM_FORWARD_PORTS: "no",
  };
}

async function createProject(record: VmRecord): Promise<VagrantProject> {
  const dir = path.join(vmsDir(), `sattva-chaos-vm-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "Vagrantfile"), `load ${JSON.stringify(VAGRANTFILE)}\n`);
  await writeFile(path.join(dir, RECORD), `${JSON.stringify(record)}\n`);
  return new VagrantProject(dir, vagrantEnv(record.box));
}

/** Destroys the VM (domain, disk, snapshots) and removes the project directory; safe when half made. */
async function destroyProject(project: VagrantProject): Promise<void> {
  await project.run(["destroy", "-f"], VagrantDeadline.destroy, false);
  // libvirt keeps each domain's console log; the domain is gone, so is its log.
  await rm(`/var/log/libvirt/qemu/${path.basename(project.dir)}_default.log`, { force: true });
  await rm(project.dir, { recursive: true, force: true });
}

/** VM projects (directories named like their domains, e.g. sattva-chaos-vm-1a2b3c4d) and their records. */
async function vmProjects(): Promise<{ project: VagrantProject; record: Partial<VmRecord> }[]> {
  const names = await readdir(vmsDir()).catch(() => []);
  return Promise.all(
    names.map(async (name) => {
      const dir = path.join(vmsDir(), name);
      const record = JSON.parse(
        await readFile(path.join(dir, RECORD), "utf8").catch(() => "{}"),
      ) as Partial<VmRecord>;
      return { project: new VagrantProject(dir, vagrantEnv(record.box ?? "")), record };
    }),
  );
}

/** Opens a connection, trying again while the guest's address does not answer yet, up to `deadlineMs`. */
async function whenReachable<T>(open: () => Promise<T>, deadlineMs: number): Promise<T> {
  const started = performance.now();
  for (;;) {
    try {
      return await open();
    } catch (error) {
      const unreachable =
        error instanceof Error &&
        /No route to host|Connection refused|Connection timed out/i.test(error.message);
      if (!unreachable || performance.now() - started > deadlineMs) throw error;
      await sleep(2_000);
    }
  }
}

/** VM names (as `up` and `down` print them) on this machine; with `kept`, those left up by `up`/--keep. */
export async function vmNames(options: { kept?: boolean } = {}): Promise<string[]> {
  return (await vmProjects())
    .filter(({ record }) => options.kept !== true || record.keep === true)
    .map(({ project }) => path.basename(project.dir));
}

/** `ssh` arguments that log into a VM as root (`sattva-chaos shell`), or undefined if there is none. */
export async function vmLogin(name: string, command: readonly string[]): Promise<string[] | undefined> {
  const found = (await vmProjects()).find(({ project }) => path.basename(project.dir) === name);
  if (found === undefined) return undefined;
  const ssh = await found.project.sshConfig();
  return [
    ...["-t", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"],
    ...[
      "-i",
      ssh["IdentityFile"] ?? "",
      "-p",
      ssh["Port"] ?? "22",
      `${ssh["User"] ?? "vagrant"}@${ssh["HostName"] ?? ""}`,
    ],
    ...(command.length === 0 ? ["sudo", "-i"] : ["sudo", ...command]),
  ];
}

/** A running VM this start may take over: one its run already made, or one kept by an earlier run. */
async function reusableProject(options: HostOptions): Promise<VagrantProject | undefined> {
  for (const { project, record } of await vmProjects()) {
    const ours =
      (options.run !== undefined && record.run === options.run.id) ||
      (options.keep === true && record.keep === true);
    if (ours && (await project.state()) === "running") return project;
  }
  return undefined;
}

/**
 * Destroys VMs, then, once no VM is left, whatever a dead run left in libvirt (daemons included), and
 * returns what it removed. `run`: the VMs of that run (its end); `names`: those (`down NAME`); `kept`:
 * those kept with `up`/`--keep` (`down`); `all`: every one (`clean --all`); by default those no live
 * process answers for and nobody kept (`clean`).
 */
export async function cleanVms(
  options: { all?: boolean; kept?: boolean; names?: readonly string[]; run?: string } = {},
): Promise<string[]> {
  const removed: string[] = [];
  for (const { project, record } of await vmProjects()) {
    const name = path.basename(project.dir);
    const chosen =
      options.names !== undefined
        ? options.names.includes(name)
        : options.run !== undefined
          ? record.run === options.run && record.keep !== true
          : options.kept === true
            ? record.keep === true
            : options.all === true || (record.keep !== true && !isOwnerAlive(record.owner));
    if (!chosen) continue;
    await destroyProject(project);
    removed.push(name);
  }
  if ((await vmProjects()).length === 0) removed.push(...(await cleanOrphanLibvirt()));
  return removed;
}

/**
 * Hosts that are Vagrant VMs (libvirt, QEMU) booted from the local offline Debian 12 box, made by the
 * repository's Vagrantfile and reached over SSH. The harness starts libvirtd and virtlogd itself and
 * stops them when the last VM is gone; every Vagrant call has its own deadline.
 *
 * A VM is costly (a minute to boot, minutes to load images under emulation), so the scenario files of
 * one run share it: the first provisions the stack and snapshots that baseline, each later one starts
 * from the snapshot, and the run destroys the VM at its end (`endRun`), or leaves it with `--keep`.
 */
export class VagrantTarget implements Target {
  readonly name = "vagrant";
  readonly provenance = "made";

  async start(options: HostOptions = {}): Promise<Host> {
    const progress = options.progress ?? (() => undefined);
    const keep = options.keep === true;
    // A VM that outlives this process (shared by the run, or kept) needs libvirt to outlive it too.
    const shared = keep || options.run !== undefined;
    const libvirt: Libvirt = await startLibvirt(progress, { keep: shared });
    let project: VagrantProject | undefined;
    let connection: SshConnection | undefined;
    const destroy = once(async () => {
      unregister();
      await connection?.close();
      if (project !== undefined) await destroyProject(project);
      await libvirt.stop();
    });
    const release = once(async () => {
      unregister();
      await connection?.close();
    });
    // Ctrl-C in a file of a run leaves the shared VM to the run's own teardown (or to `clean`).
    const unregister = shared ? () => undefined : teardownOnSignal(destroy);
    try {
      const booting = performance.now();
      project = await reusableProject(options);
      const reused = project !== undefined;
      const provisioning = options.provisioning;
      const fromTemplate = project === undefined && provisioning !== undefined && options.templates !== false;
      /** The VM template's box this VM was made from, if it was: provisioned for this stack already. */
      let templateBox: string | undefined;
      if (project === undefined) {
        const box = fromTemplate
          ? await ensureVmTemplate({ images: options.images ?? [], provisioning, progress })
          : await ensureBox(progress);
        if (fromTemplate) templateBox = box.name;
        project = await createProject({
          owner: options.run?.owner ?? currentOwner(),
          keep,
          box: box.name,
          ...(options.run === undefined ? {} : { run: options.run.id }),
        });
        progress(`vm ${path.basename(project.dir)}: vagrant up (box ${box.name}, ${vagrantDriver()})…`);
        await project.run(["up", "--no-provision"], VagrantDeadline.up);
      } else if (await project.hasSnapshot(BASELINE_SNAPSHOT)) {
        const restoring = performance.now();
        await project.run(
          ["snapshot", "restore", "--no-provision", BASELINE_SNAPSHOT],
          VagrantDeadline.snapshot,
        );
        progress(
          `vm ${path.basename(project.dir)}: reset to its baseline snapshot in ${secondsSince(restoring)}`,
        );
      }
      const vm = project;
      const name = path.basename(vm.dir);
      const ssh = await vm.sshConfig();
      const openSsh = () =>
        SshConnection.open(
          {
            user: ssh["User"] ?? "vagrant",
            hostname: ssh["HostName"] ?? "",
            port: Number(ssh["Port"] ?? 22),
          },
          {
            ...(ssh["IdentityFile"] === undefined ? {} : { key: ssh["IdentityFile"] }),
            freshHostKey: true,
            forwardPorts: options.ports ?? [],
          },
        );
      // `vagrant up` waits for SSH itself; a guest restored from its snapshot resumes under emulation
      // for a few seconds more, and meanwhile its address does not answer (No route to host).
      connection = reused ? await whenReachable(openSsh, VagrantDeadline.up) : await openSsh();
      const host = new VagrantHost(connection, {
        name,
        provenance: "made",
        faults: { allowed: true },
        // Measured here: CPU work in a TCG guest takes about 4.5 times as long (../shared/notes).
        slowdown: vagrantDriver() === "qemu" ? 4 : 1,
        dispose: shared ? release : destroy,
      });
      if (reused) {
        // A snapshot brings back the guest's clock of its day too: set it from this machine's.
        await host.run(`date -u -s @${(Date.now() / 1000).toFixed(3)} >/dev/null`);
      }
      await hostReady(host).waitUntilReady(VagrantDeadline.up);
      // Enabled by provisioning, held at the first boot of a template's VM, started by the runbook's order.
      if (fromTemplate) await releaseHeldUnits(host, provisioning.heldUnits);
      const sshReady = performance.now() - booting;
      progress(
        `vm ${name}: ${reused ? "reused" : "SSH-ready"} with systemd running and Docker up in ${secondsSince(booting)}`,
      );
      if (shared) {
        host.baseline = {
          async save() {
            if (await vm.hasSnapshot(BASELINE_SNAPSHOT)) return;
            const saving = performance.now();
            await vm.run(["snapshot", "save", BASELINE_SNAPSHOT], VagrantDeadline.snapshot);
            progress(`vm ${name}: baseline snapshot saved in ${secondsSince(saving)}`);
          },
        };
      }
      await mirrorMachineTrust(host);
      const loading = performance.now();
      const refs = (options.images ?? []).flatMap((image) => (image.ref === undefined ? [] : [image.ref]));
      if (refs.length > 0) {
        const loaded = await loadImagesIntoHost(host, refs);
        progress(
          loaded.length === 0
            ? `vm ${name}: its engine has the ${refs.length} image(s) already`
            : `vm ${name}: ${loaded.length} image(s) loaded into the VM's engine in ${secondsSince(loading)}`,
        );
      }
      host.timings = {
        vagrantUpToSshReady: Math.round(sshReady),
        imagesLoaded: Math.round(performance.now() - loading),
      };
      // A VM from a template is provisioned for this stack already (the template's key is the stack's
      // content). One reset to its baseline snapshot is provisioned again, which finds nothing to
      // change: the proof that a template's VM is a freshly provisioned one.
      if (provisioning !== undefined) {
        if (templateBox === undefined) await provisionHost(host, provisioning, progress);
        else progress(`host ${name}: provisioned: a copy of ${templateBox}`);
      }
      return host;
    } catch (error) {
      await destroy();
      throw error;
    }
  }

  /** The run is over: its VMs go (kept ones stay for `down`), and libvirt with the last of them. */
  async endRun(runId: string): Promise<void> {
    await cleanVms({ run: runId });
  }
}
