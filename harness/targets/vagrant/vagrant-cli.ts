import { fileURLToPath } from "node:url";
import type { CommandResult } from "../../host/command.ts";
import { runLocal } from "../../host/local-command.ts";

/** The repository's Vagrantfile: every VM the harness makes is the one an engineer gets by hand. */
export const VAGRANTFILE = fileURLToPath(new URL("../../../vagrant/Vagrantfile", import.meta.url));

/** Deadlines for Vagrant's own waits, which can hang (the wait for a DHCP lease has no bound). */
export const VagrantDeadline = {
  /** To SSH-ready under software emulation, the box upload into the pool included. */
  up: 15 * 60_000,
  status: 60_000,
  destroy: 5 * 60_000,
  /** Saving or restoring a snapshot of a running VM writes or reads its whole memory. */
  snapshot: 10 * 60_000,
} as const;

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
