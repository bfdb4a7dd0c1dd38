import { fileURLToPath } from "node:url";
import type { CommandResult } from "../host/command.ts";
import { runLocal } from "../host/local-command.ts";

/** Environment for plain output (no colours), so tests can match what the command line says. */
export const PLAIN_OUTPUT = { NO_COLOR: "1", FORCE_COLOR: "0" } as const;

/** The command line's entry point, to start it as a process of its own. */
export const CLI_BIN = fileURLToPath(new URL("../cli/bin.js", import.meta.url));

/**
 * Runs `sattva-chaos <args>` as a user would, with this process's Node, and returns what it did. Past
 * `timeoutMs` (30 min unless given) it is sent SIGTERM, as CI would on a stuck job, and given minutes
 * to tear down what it made (a VM and libvirt) before a SIGKILL.
 */
export function sattvaChaos(
  args: readonly string[],
  env: Record<string, string> = {},
  {
    timeoutMs = 30 * 60_000,
    bin = CLI_BIN,
    cwd,
  }: {
    timeoutMs?: number;
    /** Another installation's entry point (an installed package's). */
    bin?: string;
    cwd?: string;
  } = {},
): Promise<CommandResult> {
  return runLocal(process.execPath, [bin, ...args], {
    check: false,
    env: { ...PLAIN_OUTPUT, ...env },
    timeoutMs,
    killAfterMs: 5 * 60_000,
    ...(cwd === undefined ? {} : { cwd }),
  });
}
