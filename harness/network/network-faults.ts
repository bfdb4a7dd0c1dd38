import type { ToxicType } from "toxiproxy-node-client";
import type { Fault } from "../chaos/fault.ts";
import { describeProbe, probeAddress, probeLink, type ProbeResult } from "./link-probe.ts";
import type { Link, LinkName } from "./links.ts";
import { RESET_TOXIPROXY, type ToxiproxyOverlay } from "./toxiproxy-overlay.ts";

type Stream = "upstream" | "downstream";
type Probed = { proxied: ProbeResult; direct: ProbeResult };

interface ToxicSpec {
  readonly type: ToxicType;
  readonly stream: Stream;
  readonly attributes: Readonly<Record<string, number>>;
}

/** Our toxics carry this prefix, so healing removes ours and nothing else. */
const TOXIC_PREFIX = "sattva-chaos-";

/**
 * What a probe through the proxy must show, next to the same probe straight to the server (which
 * must answer, or the fault could not be told from a dead server). Returns the evidence, or throws.
 */
type Proof = (probed: Probed) => string;

function requireDirectAnswer(link: Link, direct: ProbeResult): void {
  if (direct.bytes === 0)
    throw new Error(
      `${link.upstream} itself did not answer (${describeProbe(direct)}), so the proxy's effect cannot be told apart`,
    );
}

function evidence(link: Link, { proxied, direct }: Probed): string {
  return `${link.description}: through the proxy ${describeProbe(proxied)}; direct ${describeProbe(direct)}`;
}

/** A fault made of toxics on one link, proven by the link probe, healed by removing them. */
function toxicFault(
  network: ToxiproxyOverlay,
  linkName: LinkName,
  name: string,
  params: Record<string, string | number | boolean>,
  toxics: readonly ToxicSpec[],
  proof: Proof,
  probeLimitMs: number,
): Fault {
  const link = network.links[linkName];
  return {
    name: `${link.description}: ${name} (toxiproxy)`,
    params: { link: linkName, ...params },
    healOnHost: () => RESET_TOXIPROXY,
    async inject() {
      const proxy = await network.proxy(linkName);
      for (const toxic of toxics) {
        await proxy.addToxic({
          name: `${TOXIC_PREFIX}${toxic.type}-${toxic.stream}`,
          type: toxic.type,
          stream: toxic.stream,
          toxicity: 1,
          attributes: toxic.attributes,
        });
      }
    },
    async prove(stack) {
      const probed = await probeLink(stack.host, link, probeLimitMs * stack.host.slowdown);
      requireDirectAnswer(link, probed.direct);
      return `${proof(probed)}; ${evidence(link, probed)}`;
    },
    async heal() {
      const state = (await network.proxies()).find((proxy) => proxy.name === linkName);
      const proxy = await network.proxy(linkName);
      for (const toxic of state?.toxics.filter((t) => t.name.startsWith(TOXIC_PREFIX)) ?? []) {
        await (await proxy.getToxic(toxic.name)).remove();
      }
    },
    leftovers: () => network.leftovers(),
  };
}

/**
 * A latency at least this long is proven by silence (no reply within SILENCE_MS while the server
 * answers directly in milliseconds), not timed to its end: a latency past nginx's timeout is not waited out twice.
 */
const LONG_LATENCY_MS = 10_000;
const SILENCE_MS = 5_000;

/**
 * Every reply delayed by `latencyMs` (± `jitterMs`). Proof: the first reply byte through the proxy comes
 * at least that late. Not the difference to the direct reply: measured a moment apart on a loaded host,
 * the direct one can itself take hundreds of milliseconds, and the difference would undercount.
 */
export function latency(network: ToxiproxyOverlay, link: LinkName, latencyMs: number, jitterMs = 0): Fault {
  const least = latencyMs - jitterMs;
  const probeLimitMs = least >= LONG_LATENCY_MS ? SILENCE_MS : latencyMs + jitterMs + 5_000;
  return toxicFault(
    network,
    link,
    `${latencyMs} ms latency${jitterMs > 0 ? ` ± ${jitterMs} ms` : ""}`,
    { latencyMs, jitterMs },
    [{ type: "latency", stream: "downstream", attributes: { latency: latencyMs, jitter: jitterMs } }],
    ({ proxied, direct }) => {
      if (proxied.bytes === 0 && proxied.error === "timeout" && least >= probeLimitMs)
        return `no reply through the proxy within the probe's ${probeLimitMs} ms wait (direct: ${direct.firstByteMs ?? "?"} ms)`;
      const through = proxied.firstByteMs;
      if (through === undefined || through < 0.9 * least)
        throw new Error(
          `expected the first byte through the proxy after ≥ ${least} ms, measured ${through ?? "none"} ms (direct: ${direct.firstByteMs ?? "?"} ms)`,
        );
      return `first byte through the proxy after ${through} ms, direct after ${direct.firstByteMs ?? "?"} ms`;
    },
    probeLimitMs,
  );
}

/** Replies throttled to `rateKBps`. Proof: the reply takes longer to arrive than the same reply direct. */
export function bandwidth(network: ToxiproxyOverlay, link: LinkName, rateKBps: number): Fault {
  return toxicFault(
    network,
    link,
    `bandwidth ${rateKBps} KB/s`,
    { rateKBps },
    [{ type: "bandwidth", stream: "downstream", attributes: { rate: rateKBps } }],
    ({ proxied, direct }) => {
      const expected = (direct.bytes / (rateKBps * 1024)) * 1000;
      const added = (proxied.lastByteMs ?? 0) - (direct.lastByteMs ?? 0);
      if (proxied.bytes === 0 || added < 0.5 * expected)
        throw new Error(
          `expected ≥ ${Math.round(expected / 2)} ms more for ${direct.bytes} bytes, measured ${added} ms`,
        );
      return `the reply took ${added} ms longer`;
    },
    10_000,
  );
}

/** Data stops; the connection closes after `timeoutMs` (0: never). Proof: no reply through the proxy. */
export function timeout(network: ToxiproxyOverlay, link: LinkName, timeoutMs: number): Fault {
  return toxicFault(
    network,
    link,
    `data stopped, connection closed after ${timeoutMs} ms`,
    { timeoutMs },
    [{ type: "timeout", stream: "downstream", attributes: { timeout: timeoutMs } }],
    noReply,
    Math.max(3_000, timeoutMs + 2_000),
  );
}

/** A full partition: no data either way, connections neither refused nor closed (packets dropped). */
export function partition(network: ToxiproxyOverlay, link: LinkName): Fault {
  return toxicFault(
    network,
    link,
    "partition (no data either way)",
    {},
    (["upstream", "downstream"] as const).map((stream) => ({
      type: "timeout",
      stream,
      attributes: { timeout: 0 },
    })),
    noReply,
    3_000,
  );
}

function noReply({ proxied }: Probed): string {
  if (proxied.bytes > 0) throw new Error(`the server's reply still came through (${describeProbe(proxied)})`);
  return "no reply through the proxy";
}

/** Connections reset by the peer after `timeoutMs`. Proof: the probe's connection is reset with no reply. */
export function resetPeer(network: ToxiproxyOverlay, link: LinkName, timeoutMs = 0): Fault {
  return toxicFault(
    network,
    link,
    `connections reset after ${timeoutMs} ms`,
    { timeoutMs },
    [{ type: "reset_peer", stream: "upstream", attributes: { timeout: timeoutMs } }],
    ({ proxied }) => {
      const reset = proxied.error === "reset" || (proxied.closedMs !== undefined && proxied.bytes === 0);
      if (!reset) throw new Error(`the connection was not reset (${describeProbe(proxied)})`);
      return `connection ${proxied.error ?? "closed"} with no reply`;
    },
    timeoutMs + 5_000,
  );
}

/** The close of a connection delayed by `delayMs`. Proof: the server's close arrives that much after its reply. */
export function slowClose(network: ToxiproxyOverlay, link: LinkName, delayMs: number): Fault {
  return toxicFault(
    network,
    link,
    `close delayed ${delayMs} ms`,
    { delayMs },
    [{ type: "slow_close", stream: "downstream", attributes: { delay: delayMs } }],
    ({ proxied }) => {
      const held = (proxied.closedMs ?? Infinity) - (proxied.lastByteMs ?? 0);
      if (proxied.closedMs === undefined || held < 0.9 * delayMs)
        throw new Error(`expected the close ≥ ${delayMs} ms after the reply (${describeProbe(proxied)})`);
      return `closed ${held} ms after the last byte`;
    },
    delayMs + 5_000,
  );
}

/** The connection closed once `bytes` have passed. Proof: the reply is cut at that size. */
export function limitData(network: ToxiproxyOverlay, link: LinkName, bytes: number): Fault {
  return toxicFault(
    network,
    link,
    `connection closed after ${bytes} bytes`,
    { bytes },
    [{ type: "limit_data", stream: "downstream", attributes: { bytes } }],
    ({ proxied, direct }) => {
      if (proxied.bytes > bytes || proxied.bytes >= direct.bytes)
        throw new Error(
          `the reply was not cut: ${proxied.bytes} bytes through the proxy, ${direct.bytes} direct`,
        );
      return `reply cut at ${proxied.bytes} of ${direct.bytes} bytes`;
    },
    5_000,
  );
}

/**
 * A flapping link: the proxy is taken down and brought back every `periodMs` until healed. Proof:
 * probes over two periods see it both refused and answering.
 */
export function flapping(network: ToxiproxyOverlay, linkName: LinkName, periodMs: number): Fault {
  const link = network.links[linkName];
  let flipper: NodeJS.Timeout | undefined;
  // Updates go one after another, so the heal's "enabled" is the last word.
  let updates: Promise<unknown> = Promise.resolve();
  const setEnabled = async (enabled: boolean) => {
    const proxy = await network.proxy(linkName);
    await proxy.update({ ...proxy.toJson(), enabled });
  };
  return {
    name: `${link.description}: flapping every ${periodMs} ms (toxiproxy)`,
    params: { link: linkName, periodMs },
    healOnHost: () => RESET_TOXIPROXY,
    inject() {
      let up = true;
      flipper = setInterval(() => {
        up = !up;
        const enabled = up;
        updates = updates.then(() => setEnabled(enabled)).catch(() => undefined);
      }, periodMs);
      return Promise.resolve();
    },
    async prove(stack) {
      const seen = new Set<string>();
      const until = performance.now() + 2 * periodMs * stack.host.slowdown;
      while (performance.now() < until && seen.size < 2) {
        const proxied = await probeAddress(stack.host, link.listen, link, periodMs);
        seen.add(proxied.bytes > 0 ? "answered" : (proxied.error ?? "no reply"));
      }
      if (!seen.has("answered") || seen.size < 2)
        throw new Error(`over two periods the link was only ever: ${[...seen].join(", ")}`);
      return `over two periods the link was: ${[...seen].join(", ")}`;
    },
    async heal() {
      clearInterval(flipper);
      await updates;
      await setEnabled(true);
    },
    leftovers: () => network.leftovers(),
  };
}
