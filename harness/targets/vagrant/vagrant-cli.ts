import { fileURLToPath } from "node:url";
import type { CommandResult } from "../../host/command.ts";
import { runLocal } from "../../host/local-command.ts";

/** The repository's Vagrantfile: every VM the harness makes is the one an engineer gets by hand. */
export const VAGRANTFILE = fileURLToPath(new URL("../../../vagrant/Vagrantfile", import.meta.url));

/**
 * Seconds each phase of a VM run took on one of these machines (2 cores, 23 GB, QEMU TCG), measured
 * by the VM job and `npm run bench:targets` on 2026-12-03. Every deadline of the Vagrant target and of
 * its job is a multiple of these, not one fixed figure: a stuck phase is stopped within minutes, and a
 * machine a few times slower still passes.
 */
export const VM_PHASE_SECONDS = {
  /** The offline box: its root filesystem image built (66 s) and its disk assembled (13 s). */
  box: 80,
  /** A VM template built without emulation: the box provisioned as a container host, made a disk. */
  template: 70,
  /** `vagrant up` to SSH-ready, the box's upload into the pool included. */
  up: 70,
  /** The documented start of a fresh VM: compose up, the database's first start, the units. */
  start: 70,
  /** Provisioning that finds nothing to change. */
  provision: 16,
  /** A snapshot of the running VM saved (3 s) or restored (7 s). */
  snapshot: 7,
  /** `vagrant destroy` and libvirt's teardown. */
  destroy: 15,
  /** `vagrant status`, `ssh-config`, `snapshot list`: mostly Vagrant's own start (3 s idle, more loaded). */
  status: 15,
  /** One scenario test, its steady state before and after included (nginx-502's took 86 to 153 s). */
  test: 120,
} as const;

/** How many times its measured phase a deadline allows. */
const MARGIN = 4;

/** Deadlines for Vagrant's own waits, which can hang (the wait for a DHCP lease has no bound). */
export const VagrantDeadline = {
  up: VM_PHASE_SECONDS.up * MARGIN * 1000,
  status: VM_PHASE_SECONDS.status * MARGIN * 1000,
  destroy: VM_PHASE_SECONDS.destroy * MARGIN * 1000,
  snapshot: VM_PHASE_SECONDS.snapshot * MARGIN * 1000,
} as const;

/**
 * The deadline of a whole VM run (`run --target vagrant`) of `tests` tests in `files` scenario files,
 * as a CI job would set it: the phases it goes through, each with its margin. The first file builds
 * what is missing and boots the VM; each later one restores its snapshot and provisions again.
 */
export function vmRunDeadlineMs(plan: { readonly files: number; readonly tests: number }): number {
  const s = VM_PHASE_SECONDS;
  const first = s.box + s.template + s.up + s.start;
  const later = (plan.files - 1) * (s.snapshot + s.status + s.provision + s.start);
  return (first + later + plan.tests * s.test + s.destroy) * MARGIN * 1000;
}

/** The snapshot a kept VM is reset to between runs: the stack provisioned and started, steady. */
export const BASELINE_SNAPSHOT = "sattva-chaos-baseline";

/** One Vagrant project: a directory whose Vagrantfile loads the repository's, and its environment. */
export class VagrantProject {
  readonly dir: string;
  readonly #env: Readonly<Record<string, string>>;

  constructor(dir: string, env: Readonly<Record<string, string>>) {
    this.dir = dir;
    this.#env = env;
  }

  run(args: readonly string[], timeoutMs: number, check = true): Promise<CommandResult> {
    return runLocal("vagrant", args, {
      host: this.dir,
      env: { ...this.#env, VAGRANT_CWD: this.dir, VAGRANT_NO_COLOR: "1" },
      timeoutMs,
      check,
    });
  }

  /** The machine's state as `vagrant status` says it (running, shutoff, not_created…). */
  async state(): Promise<string> {
    const status = await this.run(["status", "--machine-readable"], VagrantDeadline.status, false);
    return /^\d*,default,state,(\w+)$/m.exec(status.stdout)?.[1] ?? "unknown";
  }

  async hasSnapshot(name: string): Promise<boolean> {
    const listed = await this.run(["snapshot", "list", "--machine-readable"], VagrantDeadline.status, false);
    return listed.stdout.split("\n").some((line) => line.endsWith(`,${name}`) || line.trim() === name);
  }

  /** HostName, Port, User and IdentityFile from `vagrant ssh-config`. */
  async sshConfig(): Promise<Record<string, string>> {
    const config = await this.run(["ssh-config"], VagrantDeadline.status);
    return Object.fromEntries(
      config.stdout
        .split("\n")
        .map((line) => /^\s+(\w+)\s+(.*)$/.exec(line))
        .flatMap((match) =>
          match === null ? [] : [[match[1] ?? "", (match[2] ?? "").replace(/^"(.*)"$/, "$1")]],
        ),
    );
  }
}
