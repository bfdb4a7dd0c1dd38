import { spawn } from "node:child_process";
import { createServer, type Server, type Socket } from "node:net";

/**
 * Carries one connection to `port` on the host's loopback over its stdin and stdout, each direction a
 * `cat`, and ends both as soon as either ends: bash cannot half-close a /dev/tcp socket, so a relay that
 * waited for the other direction kept the server's connection open after the client had gone (Redis
 * and PostgreSQL never saw it close, and the relays piled up on the host) and kept the client waiting
 * after the server had closed. Killed (a signal from `ssh` or a local test), it ends both as well;
 * `docker exec` signals nothing, and the client's side ends instead.
 */
function relayScript(address: string, port: number): string {
  // It is written into a script: an address, nothing else.
  if (!/^[\d.]+$|^[\da-fA-F:]+$/.test(address))
    throw new Error(`not an IP address to relay to: "${address}"`);
  return [
    // Job control puts each direction in a process group of its own, killed whole at exit.
    "set -m",
    `exec 3<>/dev/tcp/${address}/${port} || exit 1`,
    // The traps come first: a direction that ends at once (a server that closes on connect) signals
    // the shell before it waits. Each direction tells the shell it ended: `wait -n` misses a job
    // that ended before it was called, and the relay then waited on the other direction for ever.
    "trap 'kill -KILL -- -$down -$up 2>/dev/null' EXIT",
    "trap 'exit 1' HUP INT TERM PIPE",
    // USR1, not TERM: a signal ignored when the shell starts cannot be trapped, and callers may ignore TERM.
    "trap 'exit 0' USR1",
    "{ cat <&3; kill -USR1 $$ 2>/dev/null; } & down=$!",
    "{ cat >&3; kill -USR1 $$ 2>/dev/null; } <&0 & up=$!",
    "wait",
  ].join("\n");
}

/**
 * Ports on this machine's loopback that reach ports on a host's own loopback (where the runbook binds
 * PostgreSQL and Redis: `127.0.0.1:5432:5432`), like `ssh -L`: each connection is carried by one
 * process that runs on the host (`docker exec -i`, `ssh`) and relays bytes with bash's /dev/tcp. The
 * relays end with `close()` (the host's dispose), and a relay's process ends with its connection.
 */
export class LoopbackRelays {
  readonly #commandLine: (script: string) => string[];
  readonly #servers = new Map<string, Promise<Server>>();
  readonly #sockets = new Set<Socket>();

  constructor(commandLine: (script: string) => string[]) {
    this.#commandLine = commandLine;
  }

  /** The local port that reaches `port` on the host's loopback, or at `address` as the host connects to it. */
  async port(port: number, address = "127.0.0.1"): Promise<number> {
    const key = `${address}:${port}`;
    let server = this.#servers.get(key);
    if (server === undefined) {
      server = this.#listen(address, port);
      this.#servers.set(key, server);
    }
    const listening = (await server).address();
    return typeof listening === "object" && listening !== null ? listening.port : 0;
  }

  #listen(address: string, port: number): Promise<Server> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      const [file = "", ...args] = this.#commandLine(relayScript(address, port));
      const relay = spawn(file, args, { stdio: ["pipe", "pipe", "ignore"] });
      socket.pipe(relay.stdin);
      relay.stdout.pipe(socket);
      const end = () => {
        this.#sockets.delete(socket);
        socket.destroy();
        // What the host's side sees of the client going, when killing `docker exec` signals nothing.
        relay.stdin.destroy();
        relay.kill();
      };
      socket.once("close", end);
      socket.once("error", end);
      relay.once("exit", end);
      relay.once("error", end);
    });
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        // A listener alone does not keep the process alive: `up` ends once it has said the host is up,
        // its probes' relays still listening (their connections, while open, do keep it alive).
        server.unref();
        resolve(server);
      });
    });
  }

  /** Stops listening and ends every relayed connection; safe to call more than once. */
  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(
      servers.map(async (pending) => {
        const server = await pending.catch(() => undefined);
        await new Promise<void>((resolve) => {
          if (server === undefined) resolve();
          else
            server.close(() => {
              resolve();
            });
        });
      }),
    );
  }
}
