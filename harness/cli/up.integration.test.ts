// Incident work: `up` brings a host up with the stack deployed once, scenarios then run against it by
// name, as often as needed, and it stays up until `down` removes it. A run's first file uses the host
// as it is; each later file starts from the host's baseline, as `up` provisioned it.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { docker } from "../docker/docker-cli.ts";
import { ExitCode } from "../errors.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { hostResources } from "../testing/host-resources.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

const FLAT_STACK = fileURLToPath(new URL("../../fixtures/stacks/flat/", import.meta.url));

let host = "";

afterAll(async () => {
  if (host !== "") await sattvaChaos(["down", host]);
});

/** Runs a command on the kept host and returns its output. */
async function onHost(script: string): Promise<string> {
  return (await docker(["exec", host, "bash", "-c", script])).stdout.trim();
}

const count = (text: string, line: string) => text.split(line).length - 1;

it("up deploys the stack once; run --target HOST reuses it, resets it between files, and leaves it up; down removes it", async () => {
  const up = await sattvaChaos(["up"]);
  expect(up.exitCode, up.stderr).toBe(ExitCode.passed);
  host = up.stdout.trim();
  expect(host).toMatch(/^sattva-chaos-host-[0-9a-f]{8}$/);
  expect(up.stderr).toContain(`rerun a scenario on it: npx sattva-chaos run SCENARIO --target ${host}`);
  expect(up.stderr).toMatch(new RegExp(`host ${host}: its baseline captured in`));

  // What an engineer changes by hand is there for the run's first file, and gone from the next.
  // (The engine makes its default bridge network again at every start: its id is not an identity.)
  const identity = "cat /etc/machine-id /etc/docker/key.json";
  const before = { identity: await onHost(identity), ports: (await docker(["port", host])).stdout };
  await onHost("echo by hand > /root/changed-by-hand");

  await withTempDir("rerun", async (dir) => {
    const started = performance.now();
    // One test of each file ("frontend" names smoke's exposure test and nginx-502's frontend restart).
    const run = await sattvaChaos([
      "run",
      "smoke",
      "nginx-502",
      "--grep",
      "frontend",
      "--target",
      host,
      "--report",
      dir,
    ]);
    process.stderr.write(
      `two files on the kept host: ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    expect(run.exitCode, run.stdout + run.stderr).toBe(ExitCode.passed);
    expect(count(run.stderr, `host ${host}: kept host reused as it is`), run.stderr).toBe(1);
    expect(count(run.stderr, `host ${host}: reset to its baseline`), run.stderr).toBe(1);
    expect(await onHost("ls /root/changed-by-hand 2>&1 || true")).toMatch(/No such file/);
    expect(await onHost(identity), "a reset keeps the host's identity").toBe(before.identity);
    expect((await docker(["port", host])).stdout, "and its loopback ports").toBe(before.ports);

    // A new run's first file: the host as it is, in seconds.
    const again = await sattvaChaos(["run", "smoke", "--target", host, "--report", dir]);
    expect(again.exitCode, again.stdout + again.stderr).toBe(ExitCode.passed);
    expect(again.stderr).toContain(`host ${host}: kept host reused as it is`);

    // The host records its checkout: another one is refused before anything reaches the host.
    const other = await sattvaChaos(["run", "smoke", "--target", host, "--stack", FLAT_STACK]);
    expect(other.exitCode, other.stderr).toBe(ExitCode.usageOrEnvironment);
    expect(other.stderr).toContain(`cannot run on ${host}: the host holds ${path.resolve(BUNDLED_STACK)}`);
  });
  expect((await hostResources(host)).containers, "the host outlives the runs").toEqual([host]);

  const down = await sattvaChaos(["down", host]);
  expect(down.exitCode, down.stderr).toBe(ExitCode.passed);
  expect(Object.values(await hostResources(host)).flat()).toEqual([]);
  expect((await docker(["image", "ls", "-q", `sattva-chaos/host-baseline:${host}`])).stdout.trim()).toBe("");
  host = "";
});
