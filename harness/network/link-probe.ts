import type { Host } from "../host/host.ts";
import { shellQuote } from "../host/shell.ts";
import type { Link } from "./links.ts";

/** What one exchange over a TCP connection showed, timed from the start of the connect. */
export interface ProbeResult {
  /** "refused", "reset", "timeout" or another socket error; absent when the exchange completed. */
  readonly error?: string;
  readonly bytes: number;
  readonly connectMs?: number;
  readonly firstByteMs?: number;
  readonly lastByteMs?: number;
  /** When the server closed the connection, if it did within the wait. */
  readonly closedMs?: number;
}

// Runs on the host, so it measures the link where the client sits (loopback, docker0), with nothing
// between the probe and the proxy. Python 3 is on every host: the stack's venvs need it.
const PROBE_SCRIPT = `
import json, socket, sys, time
host, port, request, want, limit = sys.argv[1], int(sys.argv[2]), bytes.fromhex(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
start = time.monotonic()
ms = lambda: round((time.monotonic() - start) * 1000)
seen = {"bytes": 0}
try:
    conn = socket.create_connection((host, port), timeout=limit)
    seen["connectMs"] = ms()
    conn.settimeout(max(0.1, limit - (time.monotonic() - start)))
    conn.sendall(request)
    while seen["bytes"] < want:
        chunk = conn.recv(65536)
        if not chunk:
            seen["closedMs"] = ms()
            break
        seen.setdefault("firstByteMs", ms())
        seen["lastByteMs"] = ms()
        seen["bytes"] += len(chunk)
except ConnectionRefusedError:
    seen["error"] = "refused"
except ConnectionResetError:
    seen["error"] = "reset"
except socket.timeout:
    seen["error"] = "timeout"
except OSError as error:
    seen["error"] = str(error)
print(json.dumps(seen))
`;

/**
 * One exchange with a server at `address` (host:port) as seen from the host: the link's probe request
 * sent, its reply read until `replyBytes`, the server's close or `limitMs`.
 */
export async function probeAddress(
  host: Host,
  address: string,
  link: Link,
  limitMs: number,
): Promise<ProbeResult> {
  const [hostname = "", port = ""] = address.split(":");
  const want = Number.isFinite(link.probe.replyBytes) ? String(link.probe.replyBytes) : "inf";
  const args = [
    hostname,
    port,
    Buffer.from(link.probe.request, "latin1").toString("hex"),
    want,
    String(limitMs / 1000),
  ].map(shellQuote);
  const result = await host.run(`python3 -c ${shellQuote(PROBE_SCRIPT)} ${args.join(" ")}`, {
    timeoutMs: limitMs + 30_000,
  });
  return JSON.parse(result.stdout) as ProbeResult;
}

/** The same exchange through the link's proxy and straight to its server, side by side. */
export async function probeLink(
  host: Host,
  link: Link,
  limitMs = 5_000,
): Promise<{ proxied: ProbeResult; direct: ProbeResult }> {
  const proxied = await probeAddress(host, link.listen, link, limitMs);
  const direct = await probeAddress(host, link.upstream, link, limitMs);
  return { proxied, direct };
}

/** A probe result in a few words, for proofs and reports. */
export function describeProbe(result: ProbeResult): string {
  const parts = [
    result.error ?? `${result.bytes} bytes`,
    result.firstByteMs === undefined ? undefined : `first byte ${result.firstByteMs} ms`,
    result.closedMs === undefined ? undefined : `closed at ${result.closedMs} ms`,
  ];
  return parts.filter((part) => part !== undefined).join(", ");
}
