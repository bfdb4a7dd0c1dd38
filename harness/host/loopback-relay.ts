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
function relayScript(port: number): string {
  return [
    `exec 3<>/dev/tcp/127.0.0.1/${port} || exit 1`,
    "cat <&3 & down=$!",
    // An explicit stdin: a background command of a non-interactive shell otherwise reads /dev/null.
    "cat <&0 >&3 & up=$!",
    "trap 'kill -KILL $down $up 2>/dev/null' EXIT",
    "trap 'exit 1' HUP INT TERM PIPE",
    "wait -n",
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
  readonly #servers = new Map<number, Promise<Server>>();
  readonly #sockets = new Set<Socket>();

  constructor(commandLine: (script: string) => string[]) {
    this.#commandLine = commandLine;
  }

  /** The local port that reaches `port` on the host's loopback. */
  async port(port: number): Promise<number> {
    let server = this.#servers.get(port);
    if (server === undefined) {
      server = this.#listen(port);
      this.#servers.set(port, server);
    }
    const address = (await server).address();
    return typeof address === "object" && address !== null ? address.port : 0;
  }

  #listen(port: number): Promise<Server> {
    const server = createServer((socket) => {
      this.#sockets.add(socket);
      const [file = "", ...args] = this.#commandLine(relayScript(port));
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
