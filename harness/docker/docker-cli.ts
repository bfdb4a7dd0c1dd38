import { EnvironmentError } from "../errors.ts";
import { CommandError, tail, type CommandResult } from "../host/command.ts";
import { runLocal, type LocalCommandOptions } from "../host/local-command.ts";

/** Runs the docker CLI against the local engine. */
export function docker(args: readonly string[], options: LocalCommandOptions = {}): Promise<CommandResult> {
  return runLocal("docker", args, options);
}

/** How to get a Docker engine running on this machine. */
export const HOW_TO_START =
  "start it with `dockerd > /var/log/dockerd.log 2>&1 &` (machines without systemd) " +
  "or `sudo systemctl start docker`; install it with `apt-get install docker.io` if it is missing";

/** Fails with an EnvironmentError saying how to start Docker when the engine does not answer. */
export async function assertDockerRunning(): Promise<string> {
  try {
    const info = await docker(["info", "--format", "{{.ServerVersion}}"], { timeoutMs: 15_000 });
    return info.stdout.trim();
  } catch (error) {
    if (error instanceof CommandError) {
      throw new EnvironmentError(
        `Docker is not running or not reachable (${tail(error.stderr, 3).trim() || "no answer"}): ${HOW_TO_START}`,
      );
    }
    throw error;
  }
}
