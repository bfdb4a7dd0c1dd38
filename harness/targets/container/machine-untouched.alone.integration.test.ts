// The hosts run as containers on this machine, and some of what a container can reach is this machine's
// own: kernel settings that are not namespaced, the clock, the cgroup mount, the firewall. A whole
// scenario run (hosts booted, the stack started, faults injected and healed, hosts removed) must leave
// all of it as it was. Alone: other files' hosts change this machine's Docker rules while they run.
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { VOLATILE_KERNEL_SETTINGS } from "../../chaos/residue.ts";
import { ExitCode } from "../../errors.ts";
import { docker } from "../../docker/docker-cli.ts";
import { runLocal } from "../../host/local-command.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../../testing/cli.ts";

/** This machine's kernel settings that are not a network namespace's, by name. */
async function kernelSettings(): Promise<Map<string, string>> {
  const listed = await runLocal("sysctl", ["-a", "--pattern", "^(kernel|fs|vm|user|dev)\\."], {
    check: false,
  });
  return new Map(
    listed.stdout.split("\n").flatMap((line) => {
      const at = line.indexOf(" = ");
      return at === -1 ? [] : [[line.slice(0, at), line.slice(at + 3)] as [string, string]];
    }),
  );
}

/** How far the wall clock is from the monotonic one (ms): a clock set by someone moves it. */
const clockOffsetMs = () => Date.now() - (performance.timeOrigin + performance.now());

async function machineState() {
  const rules = await Promise.all(
    ["iptables", "ip6tables"].flatMap((tool) =>
      ["filter", "nat", "mangle", "raw"].map(async (table) => {
        const listed = await runLocal(tool, ["-w", "-t", table, "-S"], { check: false });
        return `${tool} ${table}\n${listed.stdout}`;
      }),
    ),
  );
  const mounts = (await readFile("/proc/self/mountinfo", "utf8"))
    .split("\n")
    .filter((line) => line.includes(" /sys/fs/cgroup"));
  // Volumes nobody named: what a container whose image declares a volume leaves unless removed with -v.
  const volumes = await docker(["volume", "ls", "-q"]);
  return {
    settings: await kernelSettings(),
    clockOffsetMs: clockOffsetMs(),
    firewall: rules.join("\n"),
    mounts,
    anonymousVolumes: volumes.stdout.split("\n").filter((name) => /^[0-9a-f]{64}$/.test(name)),
  };
}

it("a whole scenario run leaves this machine's kernel settings, clock, cgroup mount, firewall and Docker's anonymous volumes as they were", async () => {
  // Counters and the like change by themselves: those known, and those two readings a second apart show.
  const first = await kernelSettings();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const before = await machineState();
  const volatile = new Set(
    [...first].filter(([name, value]) => before.settings.get(name) !== value).map(([n]) => n),
  );

  await withTempDir("machine", async (dir) => {
    // smoke's exposure audit runs probe containers beside the host; nginx-502 injects faults.
    const run = await sattvaChaos(["run", "smoke", "nginx-502", "--report", dir]);
    expect(run.exitCode, run.stderr.slice(-3000)).toBe(ExitCode.passed);
  });

  const after = await machineState();
  const counter = new RegExp(VOLATILE_KERNEL_SETTINGS);
  const changed = [...before.settings]
    .filter(
      ([name, value]) => !volatile.has(name) && !counter.test(name) && after.settings.get(name) !== value,
    )
    .map(([name, value]) => `${name}: ${value} -> ${after.settings.get(name) ?? "(gone)"}`);
  expect(changed, "kernel settings changed").toEqual([]);
  expect(before.settings.size, "the settings were read").toBeGreaterThan(50);
  expect(Math.abs(after.clockOffsetMs - before.clockOffsetMs), "the wall clock was not set").toBeLessThan(
    1_000,
  );
  expect(after.mounts, "this machine's /sys/fs/cgroup mount").toEqual(before.mounts);
  expect(after.firewall, "this machine's iptables rules").toBe(before.firewall);
  expect(after.anonymousVolumes, "Docker volumes nobody named").toEqual(before.anonymousVolumes);
});
