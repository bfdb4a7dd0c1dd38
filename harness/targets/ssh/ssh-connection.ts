import { access, constants, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { EnvironmentError, UsageError } from "../../errors.ts";
import type { CommandResult } from "../../host/command.ts";
import { once, type RunOptions } from "../../host/host.ts";
import { runLocal } from "../../host/local-command.ts";
import { shellQuote } from "../../host/shell.ts";
import { teardownOnSignal } from "../../lifecycle/teardown-on-signal.ts";
import { until } from "../../waits/wait.ts";
import { formatSshAddress, type SshAddress } from "./ssh-address.ts";

export interface SshConnectionOptions {
  /** Private key file (`--ssh-key`); without it, ssh's own configuration and agent decide. */
  readonly key?: string;
  /** known_hosts file to check the host key against (`--ssh-known-hosts`); ssh's own by default. */
  readonly knownHosts?: string;
  /**
   * Trust a host key never seen before and record it (`--ssh-accept-new`, trust on first use). By
   * default an unknown key is refused, as a changed one always is.
   */
  readonly acceptNewHostKey?: boolean;
  /** A VM this run just created: its host key is new, there is nothing to check it against. */
  readonly freshHostKey?: boolean;
  /** Host ports reachable through the connection, forwarded to loopback ports of this machine. */
  readonly forwardPorts?: readonly number[];
  /** How long the first connection may take. */
  readonly connectTimeoutMs?: number;
}

/** Distinct free loopback ports: all held open until every one is chosen, so none is handed out twice. */
async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", () => {
              const address = server.address();
              if (address === null || typeof address === "string")
                reject(new Error("no loopback port assigned"));
              else resolve(address.port);
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

async function validateFile(option: string, file: string | undefined): Promise<void> {
  if (file === undefined) return;
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new UsageError(`${option} "${file}": no readable file there; expected a path to an existing file`);
  }
}

/**
 * One multiplexed SSH connection to a host (OpenSSH ControlMaster): every command, copy and port
 * forward rides on it, so a command costs a channel, not a handshake. The master runs `cat` on the
 * host with its stdin tied to this process: if the harness dies, even by SIGKILL, the pipe closes,
 * `cat` ends and the master exits, so no ssh process or forward outlives the run.
 */
export class SshConnection {
  readonly address: SshAddress;
  readonly url: string;
  readonly #options: SshConnectionOptions;
  readonly #socket: string;
  readonly #forwards: ReadonlyMap<number, number>;
  #master: ResultPromise | undefined;
  #masterError = "";
  readonly close: () => Promise<void>;

  private constructor(
    address: SshAddress,
    options: SshConnectionOptions,
    dir: string,
    forwards: Map<number, number>,
  ) {
    this.address = address;
    this.url = formatSshAddress(address);
    this.#options = options;
    this.#socket = path.join(dir, "control");
    this.#forwards = forwards;
    const unregister = teardownOnSignal(() => this.close());
    this.close = once(async () => {
      unregister();
      await this.#stopMaster();
      await rm(dir, { recursive: true, force: true });
    });
  }

  /** Connects (checking key, host key and passwordless root) or throws saying which of them failed. */
  static async open(address: SshAddress, options: SshConnectionOptions = {}): Promise<SshConnection> {
    await validateFile("--ssh-key", options.key);
    await validateFile("--ssh-known-hosts", options.knownHosts);
    const forwards = new Map<number, number>();
    const ports = options.forwardPorts ?? [];
    const locals = await freeLoopbackPorts(ports.length);
    ports.forEach((port, i) => forwards.set(port, locals[i] ?? 0));
    const dir = await mkdtemp(path.join(tmpdir(), "sattva-chaos-ssh-"));
    const connection = new SshConnection(address, options, dir, forwards);
    try {
      await connection.#startMaster(options.connectTimeoutMs ?? 30_000);
      const root = await connection.run("id -u", { check: false });
      if (root.stdout.trim() !== "0") {
        throw new EnvironmentError(
          `${connection.url}: user "${address.user}" cannot run commands as root without a password ` +
            `(sudo -n said: ${root.stderr.trim() || `exit ${root.exitCode}`}); the harness needs root on the host`,
        );
      }
      return connection;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  /** Options every ssh invocation shares: never prompt, fail fast, notice a dead peer. */
  #baseArgs(): string[] {
    const { key, knownHosts, freshHostKey, acceptNewHostKey } = this.#options;
    // Strict whatever ssh's own configuration says: a host key is checked against known_hosts.
    const hostKeys =
      freshHostKey === true
        ? ["-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no"]
        : [
            ...(knownHosts === undefined ? [] : ["-o", `UserKnownHostsFile=${knownHosts}`]),
            ...["-o", `StrictHostKeyChecking=${acceptNewHostKey === true ? "accept-new" : "yes"}`],
          ];
    return [
      ...["-p", String(this.address.port), "-l", this.address.user],
      ...["-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "LogLevel=ERROR"],
      ...["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"],
      ...(key === undefined ? [] : ["-i", key, "-o", "IdentitiesOnly=yes"]),
      ...hostKeys,
      "-S",
      this.#socket,
    ];
  }

  async #startMaster(timeoutMs: number): Promise<void> {
    const forwards = [...this.#forwards].flatMap(([remote, local]) => [
      "-L",
      `127.0.0.1:${local}:127.0.0.1:${remote}`,
    ]);
    this.#masterError = "";
    const master = execa(
      "ssh",
      [
        ...this.#baseArgs(),
        "-M",
        "-o",
        "ExitOnForwardFailure=yes",
        ...forwards,
        this.address.hostname,
        "cat >/dev/null",
      ],
      { stdin: "pipe", reject: false },
    );
    this.#master = master;
    master.stderr.on("data", (chunk: Buffer) => (this.#masterError += chunk.toString()));
    // An object, not a `let`: the flag flips inside a callback the compiler cannot follow.
    const state = { exited: false };
    void master.then((result) => {
      state.exited = true;
      if (result.code === "ENOENT") this.#masterError = "ssh was not found on PATH (Debian: openssh-client)";
    });
    await until(
      `ssh connection to ${this.url}`,
      async () => {
        // A master that exited will not come up: stop waiting and say why below.
        if (state.exited) return { ready: true, detail: "ssh exited" };
        const check = await runLocal("ssh", [...this.#baseArgs(), "-O", "check", this.address.hostname], {
          check: false,
        });
        return { ready: check.exitCode === 0, detail: check.stderr.trim() };
      },
      200,
    ).waitUntilReady(timeoutMs);
    if (state.exited) {
      this.#master = undefined;
      const said = this.#masterError.trim() || "ssh exited";
      throw new EnvironmentError(
        `cannot connect to ${this.url}: ${said} ` +
          (/host key/i.test(said)
            ? `(its host key is not in ${this.#options.knownHosts ?? "your known_hosts"}: add it there, give the file that has it with --ssh-known-hosts, or trust it on this first connection with --ssh-accept-new)`
            : "(check the host, the port, --ssh-key and the host key)"),
      );
    }
  }

  async #stopMaster(): Promise<void> {
    const master = this.#master;
    if (master === undefined) return;
    this.#master = undefined;
    master.stdin?.end();
    await runLocal("ssh", [...this.#baseArgs(), "-O", "exit", this.address.hostname], {
      check: false,
      timeoutMs: 10_000,
    });
    const stopped = await Promise.race([master.then(() => true), sleep(5_000).then(() => false)]);
    if (!stopped) master.kill("SIGKILL");
    await master;
  }

  /** Drops the connection and connects again, for as long as `timeoutMs` (after a reboot). */
  async reconnect(timeoutMs: number): Promise<void> {
    await this.#stopMaster();
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      try {
        await this.#startMaster(Math.max(1_000, Math.min(30_000, deadline - performance.now())));
        return;
      } catch (error) {
        await this.#stopMaster();
        if (performance.now() > deadline) throw error;
        await sleep(2_000);
      }
    }
  }

  /** The program and arguments that run `script` as root on the host, for commands piped into it. */
  commandLine(script: string): string[] {
    const asRoot = this.address.user === "root" ? "bash -c" : "sudo -n bash -c";
    return ["ssh", ...this.#baseArgs(), this.address.hostname, `${asRoot} ${shellQuote(script)}`];
  }

  run(script: string, options: RunOptions = {}): Promise<CommandResult> {
    const [file, ...args] = this.commandLine(script) as [string, ...string[]];
    return runLocal(file, args, { host: this.url, display: script, ...options });
  }

  /**
   * The host key ssh checked the host against, as `ssh-keygen -l` prints it, and the known_hosts
   * file it is in: what a gate says it trusted. Undefined for a fresh VM's key, checked against nothing.
   */
  async trustedHostKey(): Promise<string | undefined> {
    if (this.#options.freshHostKey === true) return undefined;
    const { hostname, port } = this.address;
    const name = port === 22 ? hostname : `[${hostname}]:${port}`;
    const files = [
      this.#options.knownHosts ?? path.join(homedir(), ".ssh", "known_hosts"),
      "/etc/ssh/ssh_known_hosts",
    ];
    for (const file of files) {
      const found = await runLocal("ssh-keygen", ["-l", "-F", name, "-f", file], { check: false });
      const line = found.stdout.split("\n").find((l) => l !== "" && !l.startsWith("#"));
      if (found.exitCode === 0 && line !== undefined) return `${line.trim()} (in ${file})`;
    }
    return undefined;
  }

  /** The loopback port of this machine that reaches `port` on the host. */
  localPort(port: number): number | undefined {
    return this.#forwards.get(port);
  }
}
