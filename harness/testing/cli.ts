import { fileURLToPath } from "node:url";
import type { CommandResult } from "../host/command.ts";
import { runLocal } from "../host/local-command.ts";

const BIN = fileURLToPath(new URL("../cli/bin.js", import.meta.url));

/** Runs `sattva-chaos <args>` as a user would, with this process's Node, and returns what it did. */
export function sattvaChaos(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  return runLocal(process.execPath, [BIN, ...args], { check: false, env, timeoutMs: 30 * 60_000 });
}
