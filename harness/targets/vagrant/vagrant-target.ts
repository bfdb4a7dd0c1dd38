import { randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import path from "node:path";
import { currentOwner, isOwnerAlive } from "../../docker/labels.ts";
import { secondsSince } from "../../format.ts";
import { once, type Host } from "../../host/host.ts";
import { loadImagesIntoHost } from "../../images/load-into-host.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import { hostReady } from "../../waits/host-waits.ts";
import { mirrorMachineTrust } from "../machine-trust.ts";
import { SshConnection } from "../ssh/ssh-connection.ts";
import { SshHost } from "../ssh/ssh-host.ts";
import type { HostOptions, Target } from "../target.ts";
import { ensureBox } from "./box.ts";
import { cleanOrphanLibvirt, startLibvirt, type Libvirt } from "./libvirt.ts";
import { VAGRANTFILE, VagrantDeadline, VagrantProject } from "./vagrant-cli.ts";

/** Where VM projects live; each directory name is also the start of the libvirt domain's name. */
export function vmsDir(): string {
  return path.join(process.env["XDG_CACHE_HOME"] ?? path.join(homedir(), ".cache"), "sattva-chaos", "vms");
}

/** What a VM project records about itself, for `clean`/`down` and for reuse with --keep. */
interface VmRecord {
  /** `pid:starttime` of the run that made it (see labels.ts). */
  readonly owner: string;
  readonly keep: boolean;
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
}

/** KVM does not run stock guests on every machine (nested hypervisors); TCG (`qemu`) always works. */
function vagrantDriver(): string {
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

async function createProject(keep: boolean, box: string): Promise<VagrantProject> {
  const dir = path.join(vmsDir(), `sattva-chaos-vm-${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "Vagrantfile"), `load ${JSON.stringify(VAGRANTFILE)}\n`);
  const record: VmRecord = { owner: currentOwner(), keep, box };
  await writeFile(path.join(dir, RECORD), `${JSON.stringify(record)}\n`);
  return new VagrantProject(dir, vagrantEnv(box));
}

/** Destroys the VM (domain and its disk) and removes the project directory; safe when half made. */
async function destroyProject(project: VagrantProject): Promise<void> {
  await project.run(["destroy", "-f"], VagrantDeadline.destroy, false);
  await rm(project.dir, { recursive: true, force: true });
}

/** VM projects by name (the directory, e.g. sattva-chaos-vm-1a2b3c4d) and what they record. */
async function vmProjects(): Promise<{ project: VagrantProject; record: Partial<VmRecord> }[]> {
  const names = await readdir(vmsDir()).catch(() => []);
  return Promise.all(
    names.map(async (name) => {
      const dir = path.join(vmsDir(), name);
      const text = await readFile(path.join(dir, RECORD), "utf8").catch(() => "{}");
      return {
        project: new VagrantProject(dir, vagrantEnv("")),
        record: JSON.parse(text) as Partial<VmRecord>,
      };
    }),
  );
}

/** A VM an earlier run kept (`--keep`, `up`) and that is still running: reused instead of a new one. */
async function runningKeptProject(): Promise<VagrantProject | undefined> {
  for (const { project, record } of await vmProjects()) {
    if (record.keep === true && (await project.state()) === "running") return project;
  }
  return undefined;
}

/**
 * For `clean` (`all`: also kept VMs and live runs') and `down` (`names`: those VMs): destroys VMs,
 * then, once no VM is left, whatever a dead run left in libvirt (daemons included). Returns the names.
 */
export async function cleanVms(options: { all?: boolean; names?: readonly string[] }): Promise<string[]> {
  const removed: string[] = [];
  for (const { project, record } of await vmProjects()) {
    const name = path.basename(project.dir);
    const chosen =
      options.names !== undefined
        ? options.names.includes(name)
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
 * stops them when the VM is gone; every Vagrant call has its own deadline.
 */
export class VagrantTarget implements Target {
  readonly name = "vagrant";
  readonly provenance = "made";

  async start(options: HostOptions = {}): Promise<Host> {
    const progress = options.progress ?? (() => undefined);
    const keep = options.keep === true;
    const libvirt: Libvirt = await startLibvirt(progress, { keep });
    let project: VagrantProject | undefined;
    let connection: SshConnection | undefined;
    const dispose = once(async () => {
      unregister();
      await connection?.close();
      if (project !== undefined) await destroyProject(project);
      await libvirt.stop();
    });
    // A kept VM outlives this process: nothing is torn down on Ctrl-C; `down` removes it.
    const unregister = keep ? () => undefined : teardownOnSignal(dispose);
    try {
      const booting = performance.now();
      project = keep ? await runningKeptProject() : undefined;
      if (project === undefined) {
        const box = await ensureBox(progress);
        project = await createProject(keep, box.name);
        progress(`vm ${path.basename(project.dir)}: vagrant up (box ${box.name}, ${vagrantDriver()})…`);
        await project.run(["up", "--no-provision"], VagrantDeadline.up);
      } else {
        progress(`vm ${path.basename(project.dir)}: reusing the VM kept by an earlier run (--keep)`);
      }
      const name = path.basename(project.dir);
      const ssh = await project.sshConfig();
      connection = await SshConnection.open(
        { user: ssh["User"] ?? "vagrant", hostname: ssh["HostName"] ?? "", port: Number(ssh["Port"] ?? 22) },
        {
          ...(ssh["IdentityFile"] === undefined ? {} : { key: ssh["IdentityFile"] }),
          freshHostKey: true,
          forwardPorts: options.ports ?? [],
        },
      );
      const host = new VagrantHost(connection, {
        name,
        provenance: "made",
        faults: { allowed: true },
        dispose: keep ? () => connection?.close() ?? Promise.resolve() : dispose,
      });
      await hostReady(host).waitUntilReady(VagrantDeadline.up);
      const sshReady = performance.now() - booting;
      progress(`vm ${name}: SSH-ready with systemd running and Docker up in ${secondsSince(booting)}`);
      await mirrorMachineTrust(host);
      const loading = performance.now();
      const refs = (options.images ?? []).flatMap((image) => (image.ref === undefined ? [] : [image.ref]));
      if (refs.length > 0) {
        await loadImagesIntoHost(host, refs);
        progress(`vm ${name}: ${refs.length} image(s) loaded over SSH in ${secondsSince(loading)}`);
      }
      host.timings = {
        vagrantUpToSshReady: Math.round(sshReady),
        imagesLoaded: Math.round(performance.now() - loading),
      };
      return host;
    } catch (error) {
      await dispose();
      throw error;
    }
  }
}
