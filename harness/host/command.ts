/** What one command did on a host: enough to explain a failure without rerunning it. */
export interface CommandResult {
  /** The host it ran on ("local" for this machine). */
  readonly host: string;
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** Set when the command was killed for running past its deadline. */
  readonly timedOut: boolean;
}

const TAIL_LINES = 20;

/** The last lines of a command's output, for messages that must stay readable. */
export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split("\n");
  return all.length <= lines ? all.join("\n") : ["…", ...all.slice(-lines)].join("\n");
}

/** A command that failed; it is also its own result, as execa's errors are. */
export class CommandError extends Error implements CommandResult {
  override readonly name = "CommandError";
  readonly host: string;
  readonly command: string;
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;

  constructor(result: CommandResult) {
    const how = result.timedOut ? "timed out" : `exited with ${result.exitCode}`;
    const output = tail([result.stdout, result.stderr].filter((s) => s.trim() !== "").join("\n"));
    super(
      `[${result.host}] command ${how} after ${(result.durationMs / 1000).toFixed(1)}s: ${result.command}` +
        (output === "" ? "" : `\n${output}`),
    );
    this.host = result.host;
    this.command = result.command;
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
    this.durationMs = result.durationMs;
    this.timedOut = result.timedOut;
  }
}
