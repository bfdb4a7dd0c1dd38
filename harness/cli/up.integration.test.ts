// Incident work: `up` brings a host up with the stack deployed once, scenarios then run against it by
// name, as often as needed, and it stays up until `down` removes it.
import { afterAll, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { hostResources } from "../testing/host-resources.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";

let host = "";

afterAll(async () => {
  if (host !== "") await sattvaChaos(["down", host]);
});

it("up deploys the stack once; run --target HOST reuses it and leaves it up; down removes it", async () => {
  const up = await sattvaChaos(["up"]);
  expect(up.exitCode, up.stderr).toBe(ExitCode.passed);
  host = up.stdout.trim();
  expect(host).toMatch(/^sattva-chaos-host-[0-9a-f]{8}$/);
  expect(up.stderr).toContain(`rerun a scenario on it: npx sattva-chaos run SCENARIO --target ${host}`);

  await withTempDir("rerun", async (dir) => {
    for (const attempt of [1, 2]) {
      const started = performance.now();
      const run = await sattvaChaos(["run", "smoke", "--target", host, "--report", dir]);
      process.stderr.write(
        `run ${attempt} on the kept host: ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
      expect(run.exitCode, run.stdout + run.stderr).toBe(ExitCode.passed);
      expect(run.stderr).toContain(`host ${host}: kept host reused as it is`);
    }
  });
  expect((await hostResources(host)).containers, "the host outlives the runs").toEqual([host]);

  const down = await sattvaChaos(["down", host]);
  expect(down.exitCode, down.stderr).toBe(ExitCode.passed);
  expect(Object.values(await hostResources(host)).flat()).toEqual([]);
  host = "";
});
