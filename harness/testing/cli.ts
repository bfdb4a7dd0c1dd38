import { fileURLToPath } from "node:url";
import type { CommandResult } from "../host/command.ts";
import { runLocal } from "../host/local-command.ts";

/** The command line's entry point, to start it as a process of its own. */
export const CLI_BIN = fileURLToPath(new URL("../cli/bin.js", import.meta.url));

/**
 * Runs `sattva-chaos <args>` as a user would, with this process's Node, and returns what it did. Past
 * `timeoutMs` (30 min unless given) it is sent SIGTERM, as CI would on a stuck job.
 */
export function sattvaChaos(
  args: readonly string[],
  env: Record<string, string> = {},
  { timeoutMs = 30 * 60_000 }: { timeoutMs?: number } = {},
): Promise<CommandResult> {
  // Plain output, so tests can match what it says.
  const plain = { NO_COLOR: "1", FORCE_COLOR: "0" };
  return runLocal(process.execPath, [CLI_BIN, ...args], {
    check: false,
    env: { ...plain, ...env },
    timeoutMs,
  });
}
