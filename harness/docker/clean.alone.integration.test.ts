// `clean` removes what runs killed before their teardown left: every host whose run is dead, on this
// machine. Alone: beside other files, it also took the host a SIGKILLed harness left to the dead-man
// switch test, which was still watching the switch heal it.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { CLI_BIN, PLAIN_OUTPUT, sattvaChaos } from "../testing/cli.ts";
import { hostResources } from "../testing/host-resources.ts";

const HOLD_HOST = fileURLToPath(new URL("../testing/hold-host.ts", import.meta.url));
const holders: ChildProcess[] = [];

/** Starts a harness process that boots a host and holds it; resolves with the host's name. */
async function holdHost(): Promise<{ child: ChildProcess; host: string }> {
  const child = spawn(process.execPath, [HOLD_HOST], { stdio: ["ignore", "pipe", "inherit"] });
  holders.push(child);
  for await (const line of createInterface({ input: child.stdout })) return { child, host: line.trim() };
  throw new Error(`hold-host exited (${String(child.exitCode)}) before booting a host`);
}

/** Every container, network and volume of the host, as one list. */
async function resourcesOf(host: string): Promise<string[]> {
  return Object.values(await hostResources(host)).flat();
}

afterAll(() => {
  for (const child of holders) child.kill("SIGKILL");
});

it("Ctrl-C tears a host down; after a SIGKILL, `clean` removes what is left; `clean` and `down` spare live runs", async () => {
  const [killed, interrupted] = await Promise.all([holdHost(), holdHost()]);
  expect(await resourcesOf(killed.host)).toHaveLength(3);
  expect(await resourcesOf(interrupted.host)).toHaveLength(3);

  killed.child.kill("SIGKILL");
  await once(killed.child, "exit");
  expect(await resourcesOf(killed.host), "a SIGKILLed run cannot clean up after itself").toHaveLength(3);

  const cleaned = await sattvaChaos(["clean"]);
  expect(cleaned.exitCode, cleaned.stderr).toBe(ExitCode.passed);
  expect(cleaned.stderr).toContain(killed.host);
  expect(await resourcesOf(killed.host)).toEqual([]);
  expect(await resourcesOf(interrupted.host), "clean must not touch a live run's host").toHaveLength(3);
  // (A bare `down` would also remove the hosts other test files keep with `up`: its choice is unit tested.)
  const named = await sattvaChaos(["down", interrupted.host]);
  expect(named.exitCode, "a live run's host is no kept host").toBe(ExitCode.usageOrEnvironment);
  expect(named.stderr).toContain(`down ${interrupted.host}: expected the name of a host left up by`);
  expect(await resourcesOf(interrupted.host)).toHaveLength(3);

  interrupted.child.kill("SIGINT");
  const [exitCode] = (await once(interrupted.child, "exit")) as [number | null];
  expect(exitCode).toBe(130);
  expect(await resourcesOf(interrupted.host)).toEqual([]);
});

it("a SIGTERM to `sattva-chaos run` (CI's timeout) stops its scenario processes, and their hosts are gone when it exits", async () => {
  await withTempDir("sigterm-run", async (reports) => {
    const run = spawn(process.execPath, [CLI_BIN, "run", "smoke", "--report", reports], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, ...PLAIN_OUTPUT },
    });
    holders.push(run);
    let host = "";
    for await (const line of createInterface({ input: run.stderr })) {
      const booted = /host (sattva-chaos-host-[0-9a-f]+): systemd running/.exec(line);
      if (booted?.[1] !== undefined) {
        host = booted[1];
        break;
      }
    }
    expect(host, "the run booted a host").not.toBe("");
    run.stderr.resume();
    // The run's own process only, as a CI job's timeout sends it; its scenario processes must follow.
    run.kill("SIGTERM");
    const [exitCode] = (await once(run, "exit")) as [number | null];
    expect(exitCode).toBe(143);
    expect(
      await resourcesOf(host),
      "the scenario process disposed of its host before the run exited",
    ).toEqual([]);
  });
});
