import type { Host } from "../host/host.ts";

/** One process listening on a TCP port, as lsof sees it. */
export interface Listener {
  readonly pid: string;
  readonly command: string;
  /** e.g. "*:8000" or "127.0.0.1:8000". */
  readonly address: string;
}

/** Who listens on a TCP port of the host (`lsof -i :PORT`, machine-readable); empty when nobody does. */
export async function listenersOn(host: Host, port: number): Promise<Listener[]> {
  const lsof = await host.run(`lsof -nP -iTCP:${port} -sTCP:LISTEN -Fpcn`, { check: false });
  const listeners: Listener[] = [];
  let pid = "";
  let command = "";
  for (const line of lsof.stdout.split("\n")) {
    const [field, value] = [line.slice(0, 1), line.slice(1)];
    if (field === "p") pid = value;
    else if (field === "c") command = value;
    else if (field === "n") listeners.push({ pid, command, address: value });
  }
  return listeners;
}

/**
 * The listeners' addresses for messages ("*:8000, 127.0.0.1:8000"), or "nothing"; each once, as a
 * pre-forking server's workers (gunicorn's) share their master's socket.
 */
export function describeListeners(listeners: readonly Listener[]): string {
  return [...new Set(listeners.map((l) => l.address))].join(", ") || "nothing";
}
