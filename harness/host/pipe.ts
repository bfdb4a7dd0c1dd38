import path from "node:path";
import type { CommandResult } from "./command.ts";
import type { Host } from "./host.ts";
import { runLocal } from "./local-command.ts";
import { shellQuote } from "./shell.ts";

/**
 * Runs `producer | consumer` on this machine, where one side is the host's command line: the way data
 * reaches a host without a shared filesystem (image archives, tar streams). pipefail, so a failing
 * producer fails the pipe.
 */
export function pipe(
  host: Host,
  producer: readonly string[],
  consumer: readonly string[],
  options: { display: string; timeoutMs?: number },
): Promise<CommandResult> {
  return runLocal(
    "bash",
    [
      "-c",
      'set -o pipefail; n=$1; shift; "${@:1:n}" | "${@:n+1}"',
      "pipe",
      String(producer.length),
      ...producer,
      ...consumer,
    ],
    { host: host.name, display: options.display, timeoutMs: options.timeoutMs ?? 10 * 60_000 },
  );
}

/** Puts `extract` on the host in docker cp's terms: a missing destination becomes the copy itself. */
function extractTo(hostPath: string, base: string): string {
  const quoted = shellQuote(hostPath);
  return [
    `if [ -d ${quoted} ]; then tar -C ${quoted} -xf -; exit; fi`,
    `tmp=$(mktemp -d "$(dirname ${quoted})/.sattva-copy.XXXXXX")`,
    `tar -C "$tmp" -xf - && mv "$tmp"/${shellQuote(base)} ${quoted}; status=$?; rm -rf "$tmp"; exit $status`,
  ].join("\n");
}

/** Copies a local file or directory to the host with a tar stream (docker cp semantics). */
export async function tarCopyIn(host: Host, localPath: string, hostPath: string): Promise<void> {
  const base = path.basename(localPath);
  await pipe(
    host,
    ["tar", "-C", path.dirname(localPath), "--owner=0", "--group=0", "--numeric-owner", "-cf", "-", base],
    host.commandLine(extractTo(hostPath, base)),
    { display: `copy ${localPath} to ${host.name}:${hostPath}` },
  );
}

/** Copies a file or directory from the host to a local path with a tar stream (docker cp semantics). */
export async function tarCopyOut(host: Host, hostPath: string, localPath: string): Promise<void> {
  const base = path.basename(hostPath);
  const quoted = shellQuote(hostPath);
  await pipe(
    host,
    host.commandLine(`tar -C "$(dirname ${quoted})" -cf - ${shellQuote(base)}`),
    ["bash", "-c", extractTo(localPath, base)],
    { display: `copy ${host.name}:${hostPath} to ${localPath}` },
  );
}
