import { execa } from "execa";
import { EnvironmentError } from "../errors.ts";
import { CommandError, type CommandResult } from "./command.ts";

export interface LocalCommandOptions {
  /** Name of the host the command acts on, for results and errors ("local" by default). */
  readonly host?: string;
  /** Text shown as the command in results; defaults to the argv joined. */
  readonly display?: string;
  readonly input?: string;
  readonly timeoutMs?: number;
  /**
   * After `timeoutMs`, the program gets SIGTERM, then SIGKILL this much later if it still runs
   * (5 s unless given): room for a program that tears down what it made when told to stop.
   */
  readonly killAfterMs?: number;
  /** Throw CommandError on a non-zero exit (default true). */
  readonly check?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /** The working directory (this process's unless given). */
  readonly cwd?: string;
}

/**
 * Runs a program on this machine and returns a CommandResult. Every target's commands end up here
 * (`docker exec`, `ssh`, `vagrant ssh`), so results and errors look the same whatever the host.
 */
export async function runLocal(
  file: string,
  args: readonly string[],
  options: LocalCommandOptions = {},
): Promise<CommandResult> {
  const started = performance.now();
  const child = await execa(file, args, {
    reject: false,
    stripFinalNewline: false,
    ...(options.input === undefined ? { stdin: "ignore" } : { input: options.input }),
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(options.killAfterMs === undefined ? {} : { forceKillAfterDelay: options.killAfterMs }),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  if (child.code === "ENOENT") {
    throw new EnvironmentError(`"${file}" was not found on PATH; install it (see the README's setup)`);
  }
  const result: CommandResult = {
    host: options.host ?? "local",
    command: options.display ?? [file, ...args].join(" "),
    exitCode: child.exitCode ?? -1,
    stdout: child.stdout,
    stderr: child.stderr,
    durationMs: Math.round(performance.now() - started),
    timedOut: child.timedOut,
  };
  if ((options.check ?? true) && (result.exitCode !== 0 || result.timedOut)) throw new CommandError(result);
  return result;
}
