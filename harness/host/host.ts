import type { ProbeRequest, ProbeResult } from "../exposure/port-probe.ts";
import type { CommandResult } from "./command.ts";

/** A host seen from outside: from where, at which address, and what answers on its ports and paths. */
export interface OutsideView {
  /** Where the probes come from, for people ("this machine", "a probe container on the host's network"). */
  readonly from: string;
  readonly address: string;
  /**
   * Where the harness's own forwards reach the host from, when that is the outsiders' network too (the
   * container target's network gateway): a firewall closing ports to outsiders keeps it open, as an
   * operator keeps their own address, or the harness could no longer see the stack. Undefined where
   * the harness comes in over SSH.
   */
  readonly harnessSource?: string;
  probe(request: ProbeRequest): Promise<ProbeResult>;
}

export interface RunOptions {
  /** Throw CommandError on a non-zero exit (default true). */
  readonly check?: boolean;
  readonly timeoutMs?: number;
  /** Text fed to the command's standard input. */
  readonly input?: string;
}

/** Whether the harness may inject faults on a host: always on hosts it made, by the owner's leave on others. */
export type FaultPermission =
  { readonly allowed: true } | { readonly allowed: false; readonly reason: string };

/**
 * A machine the deployment runs on, whatever brought it up (container, VM, staging host).
 * Scenarios and the stack layer only ever see this interface.
 */
export interface Host extends AsyncDisposable {
  /** Unique on this machine; names the host in results, errors and reports. */
  readonly name: string;
  /**
   * "made": the harness created the host and provisions the stack on it. "existing": the host already
   * runs the stack (a staging host); the harness attaches to it and provisions nothing.
   */
  readonly provenance: "made" | "existing";
  readonly faults: FaultPermission;
  /**
   * How many times slower than the production VPS this host runs (1 for a container or a real
   * host; more for a VM under software emulation). Steady-state tolerances and fault deadlines are
   * stretched by it; measured times are reported as measured.
   */
  readonly slowdown: number;
  /** Runs a bash script as root on the host. */
  run(script: string, options?: RunOptions): Promise<CommandResult>;
  /** The local program and arguments that run a bash script as root on the host, to pipe data into it. */
  commandLine(script: string): string[];
  /** Copies a local file or directory to a path on the host. */
  copyIn(localPath: string, hostPath: string): Promise<void>;
  /** Copies a file or directory from the host to a local path. */
  copyOut(hostPath: string, localPath: string): Promise<void>;
  /** A URL the harness can reach for a TCP port on the host, e.g. `url(3000, "/api/health")`. */
  url(port: number, path?: string): string;
  /**
   * A loopback port of this machine that reaches `port` on the host's own loopback, for services the
   * runbook binds to 127.0.0.1 there (PostgreSQL, Redis); what `ssh -L` gives. With `address`, the
   * port at that address as the host connects to it (a container's, on a network of the host's engine).
   */
  loopbackPort(port: number, address?: string): Promise<number>;
  /**
   * Where the target can snapshot a kept host (a VM): `save` keeps the current state, the stack
   * provisioned and started, as the baseline the next run on that host is reset to.
   */
  baseline?: { save(): Promise<void> };
  /**
   * The host as someone outside it sees it (another machine on its network): its address, and every
   * port of `ports` probed from there (not through the harness's own forwards or tunnels).
   */
  outside(): Promise<OutsideView>;
  /** Restarts the host and returns once it is ready again. */
  reboot(): Promise<void>;
  /** Removes the host and everything made for it; safe to call more than once. */
  dispose(): Promise<void>;
}

/** Wraps a teardown so a second (or concurrent) call waits for the first instead of repeating it. */
export function once(teardown: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= teardown());
}
