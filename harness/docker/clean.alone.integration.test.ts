// `clean` removes what runs killed before their teardown left: every host whose run is dead, on this
// machine or (by its lease) in another PID namespace sharing the engine. Alone: beside other files, it also took the host a SIGKILLed harness left to the dead-man
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
import { docker } from "./docker-cli.ts";
import { isOwnerElsewhere, Label, OWNER_LEASE } from "./labels.ts";

const HOLD_HOST = fileURLToPath(new URL("../testing/hold-host.ts", import.meta.url));
const holders: ChildProcess[] = [];

/**
 * Starts a harness process that boots a host and holds it (in a PID namespace of its own with
 * `elsewhere`: as another machine's harness sharing the engine); resolves with the host's name.
 */
async function holdHost(elsewhere = false): Promise<{ child: ChildProcess; host: string }> {
  // --kill-child: the holder goes with unshare, even when unshare is SIGKILLed.
  const child = elsewhere
    ? spawn("unshare", ["--pid", "--fork", "--mount-proc", "--kill-child", process.execPath, HOLD_HOST], {
        stdio: ["ignore", "pipe", "inherit"],
      })
    : spawn(process.execPath, [HOLD_HOST], { stdio: ["ignore", "pipe", "inherit"] });
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

it("a run in another PID namespace holds its host by a lease it renews: `clean` spares it, and takes it once the lease lapses", async () => {
  const foreign = await holdHost(true);
  const owner = (
    await docker(["inspect", "--format", `{{index .Config.Labels "${Label.owner}"}}`, foreign.host])
  ).stdout.trim();
  expect(isOwnerElsewhere(owner), `owner ${owner} is of another PID namespace`).toBe(true);
  const lease = await docker(["exec", foreign.host, "stat", "-c", "%Y", OWNER_LEASE.file]);
  expect(lease.exitCode).toBe(0);

  const spared = await sattvaChaos(["clean"]);
  expect(spared.exitCode, spared.stderr).toBe(ExitCode.passed);
  expect(await resourcesOf(foreign.host), "its lease is fresh").toHaveLength(3);

  foreign.child.kill("SIGKILL");
  await once(foreign.child, "exit");
  // As if its last renewal were 10 minutes ago (past OWNER_LEASE.expiresMs): nobody renews it now.
  await docker(["exec", foreign.host, "touch", "-d", "10 minutes ago", OWNER_LEASE.file]);
  const taken = await sattvaChaos(["clean"]);
  expect(taken.exitCode, taken.stderr).toBe(ExitCode.passed);
  expect(taken.stderr).toContain(foreign.host);
  expect(await resourcesOf(foreign.host)).toEqual([]);
});
