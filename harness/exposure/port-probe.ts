import { SSL_REQUEST } from "../network/links.ts";
import { connect, type Socket } from "node:net";

/** What answered on a port, as someone outside the host sees it. */
export interface PortAnswer {
  readonly port: number;
  /** Whether anything accepted the connection. */
  readonly answered: boolean;
  /** The protocol that answered, if one was recognized. */
  readonly protocol?: "http" | "postgresql" | "redis" | "ssh" | "tcp";
  /** What answered, for people: "HTTP 200 (nginx/1.22.1)", "closed (connection refused)"… */
  readonly what: string;
  /** The service asked for a password before anything else (Redis' NOAUTH). */
  readonly passwordRequired?: true;
}

interface Exchange {
  /** Whether the connection was accepted. */
  readonly connected: boolean;
  /** Bytes received (up to a few kilobytes). */
  readonly received: Buffer;
  readonly error?: string;
}

/**
 * Connects to address:port, writes `request` once the server said nothing for `greetMs` (a server that
 * speaks first, like SSH, is heard first), and collects what comes back until the server closes, a
 * few kilobytes arrived or `timeoutMs` passed.
 */
function exchange(
  address: string,
  port: number,
  request: Buffer,
  timeoutMs: number,
  greetMs = 0,
): Promise<Exchange> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    let connected = false;
    const socket: Socket = connect({ host: address, port });
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      clearTimeout(greeting);
      socket.destroy();
      resolve({ connected, received: Buffer.concat(chunks), ...(error === undefined ? {} : { error }) });
    };
    const deadline = setTimeout(() => {
      finish(size === 0 ? "timeout" : undefined);
    }, timeoutMs);
    let greeting: NodeJS.Timeout | undefined;
    socket.once("connect", () => {
      connected = true;
      greeting = setTimeout(() => {
        if (size === 0) socket.write(request);
      }, greetMs);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= 4096) finish();
    });
    socket.once("end", () => {
      finish();
    });
    socket.once("error", (error: NodeJS.ErrnoException) => {
      finish(error.code ?? error.message);
    });
  });
}

/** The status line and Server header of an HTTP response, if the bytes are one. */
function httpAnswer(received: Buffer): string | undefined {
  const text = received.toString("latin1");
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text)?.[1];
  if (status === undefined) return undefined;
  const server = /^server:\s*(.+?)\r?$/im.exec(text)?.[1];
  return `HTTP ${status}${server === undefined ? "" : ` (${server})`}`;
}

/** PostgreSQL's SSLRequest (the link probe's, as bytes): a server answers it with one byte, S or N. */
const POSTGRES_SSL_REQUEST = Buffer.from(SSL_REQUEST, "latin1");

/**
 * What answers on address:port, tried the way each protocol is spoken: a greeting (SSH), an HTTP
 * request, PostgreSQL's SSLRequest, Redis' PING. Each attempt on its own connection, within `timeoutMs`
 * (generous: the ports are probed side by side, often on a loaded host, and a late answer read as none
 * would name the wrong protocol).
 */
export async function probePort(address: string, port: number, timeoutMs = 5_000): Promise<PortAnswer> {
  const http = await exchange(
    address,
    port,
    Buffer.from(`GET / HTTP/1.0\r\nHost: ${address}\r\nUser-Agent: sattva-chaos exposure audit\r\n\r\n`),
    timeoutMs,
    300,
  );
  if (!http.connected) {
    if (http.error === "ECONNREFUSED") return { port, answered: false, what: "closed (connection refused)" };
    if (http.error === "timeout")
      return {
        port,
        answered: false,
        what: `filtered (no answer to a connection within ${timeoutMs / 1000} s)`,
      };
    return { port, answered: false, what: `not reached (${http.error ?? "closed"})` };
  }
  const banner = http.received.toString("latin1");
  if (banner.startsWith("SSH-"))
    return { port, answered: true, protocol: "ssh", what: `SSH (${banner.split(/\r?\n/)[0] ?? ""})` };
  const asHttp = httpAnswer(http.received);
  if (asHttp !== undefined) return { port, answered: true, protocol: "http", what: asHttp };

  const postgres = await exchange(address, port, POSTGRES_SSL_REQUEST, timeoutMs);
  const reply = postgres.received.toString("latin1");
  if (postgres.received.length === 1 && (reply === "S" || reply === "N"))
    return {
      port,
      answered: true,
      protocol: "postgresql",
      what: `PostgreSQL (its SSLRequest answered ${reply === "S" ? "S: TLS offered" : "N: no TLS"})`,
    };
  const redis = await exchange(address, port, Buffer.from("PING\r\n"), timeoutMs);
  const said = redis.received.toString("latin1").split("\r\n")[0] ?? "";
  if (said === "+PONG")
    return { port, answered: true, protocol: "redis", what: "Redis (PING answered +PONG: no password)" };
  if (/^-(NOAUTH|ERR.*auth)/i.test(said))
    return {
      port,
      answered: true,
      protocol: "redis",
      what: `Redis (password required: ${said})`,
      passwordRequired: true,
    };
  const first = (banner || reply || said).slice(0, 40).replace(/[^\x20-\x7e]/g, ".");
  return {
    port,
    answered: true,
    protocol: "tcp",
    what: `TCP open, no known protocol${first === "" ? "" : ` (first bytes: ${first})`}`,
  };
}

/** An HTTP path asked for from outside (a location the frontend's nginx proxies), and what came back. */
export interface PathAnswer {
  readonly port: number;
  readonly path: string;
  /** The HTTP status, where an HTTP response came back. */
  readonly status?: number;
  /** What answered, for people: "HTTP 200 (nginx/1.27.0)", "closed (connection refused)"… */
  readonly what: string;
  /** The start of the response's body (a few kilobytes at most). */
  readonly body: string;
}

/** GET `path` on address:port, as a browser of anyone who reaches the host would. */
export async function probePath(
  address: string,
  port: number,
  path: string,
  timeoutMs = 5_000,
): Promise<PathAnswer> {
  const http = await exchange(
    address,
    port,
    Buffer.from(
      `GET ${path} HTTP/1.0\r\nHost: ${address}\r\nUser-Agent: sattva-chaos exposure audit\r\n\r\n`,
    ),
    timeoutMs,
  );
  const text = http.received.toString("utf8");
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(text)?.[1];
  const bodyAt = text.indexOf("\r\n\r\n");
  return {
    port,
    path,
    ...(status === undefined ? {} : { status: Number(status) }),
    what:
      httpAnswer(http.received) ??
      (http.connected ? "no HTTP answer" : `not reached (${http.error ?? "closed"})`),
    body: bodyAt === -1 ? "" : text.slice(bodyAt + 4),
  };
}

/** What to probe on a host from outside: ports, and HTTP paths on some of them. */
export interface ProbeRequest {
  readonly ports: readonly number[];
  readonly paths: readonly { readonly port: number; readonly path: string }[];
}

export interface ProbeResult {
  readonly ports: PortAnswer[];
  readonly paths: PathAnswer[];
}

/** Every port and path of `request` on `address`, probed side by side. */
export async function probeHost(
  address: string,
  request: ProbeRequest,
  timeoutMs?: number,
): Promise<ProbeResult> {
  const [ports, paths] = await Promise.all([
    Promise.all(request.ports.map((port) => probePort(address, port, timeoutMs))),
    Promise.all(request.paths.map(({ port, path }) => probePath(address, port, path, timeoutMs))),
  ]);
  return { ports, paths };
}
