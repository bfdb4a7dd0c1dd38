import { runLocal } from "../host/local-command.ts";

/** Pids of the live processes of that name on this machine; a zombie waiting to be reaped runs nothing. */
export async function liveProcesses(name: string): Promise<string[]> {
  const listed = await runLocal("ps", ["-C", name, "-o", "pid=,stat="], { check: false });
  return listed.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .flatMap(([pid, stat]) =>
      pid === undefined || pid === "" || stat?.startsWith("Z") === true ? [] : [pid],
    );
}

/** Whether a path exists (as root sees it). */
export async function pathExists(file: string): Promise<boolean> {
  return (await runLocal("test", ["-e", file], { check: false })).exitCode === 0;
}

/** Names of this machine's network interfaces, to see that no bridge is left. */
export async function networkLinks(): Promise<string[]> {
  const listed = await runLocal("ip", ["-o", "link", "show"]);
  return listed.stdout.split("\n").flatMap((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? []);
}

/** A shell command printing the sha256 of the bundled stack's .env on its host, or "absent". */
export const ENV_DIGEST =
  "if [ -e /opt/sattva-streamer/.env ]; then sha256sum < /opt/sattva-streamer/.env | cut -d' ' -f1; else echo absent; fi";
