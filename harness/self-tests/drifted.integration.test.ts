// A checkout that grew apart from its runbook (fixtures/stacks/drifted), run as a user would: `init`,
// then `run smoke`. It is not refused (never exit 3): the host boots, what can run runs, each check
// that needs a missing part is skipped by name, and the run fails naming each blocker.
import { cp, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { removeStackTemplate } from "../testing/stack-templates.ts";

const DRIFTED_STACK = fileURLToPath(new URL("../../fixtures/stacks/drifted/", import.meta.url));

it("init, then run smoke on the drifted stack: exit 1 naming each blocker, the rest checked", async () => {
  await withTempDir("drifted-run", async (dir) => {
    const stack = path.join(dir, "drifted");
    const reports = path.join(dir, "reports");
    await cp(DRIFTED_STACK, stack, { recursive: true });
    expect((await sattvaChaos(["init", "--stack", stack])).exitCode).toBe(ExitCode.passed);

    try {
      const run = await sattvaChaos(["run", "smoke", "--stack", stack, "--report", reports]);
      const output = `${run.stdout}\n${run.stderr}`;
      expect(run.exitCode, output).toBe(ExitCode.failed);
      // The static audit names the blockers first, and the run's end names them again.
      expect(output).toMatch(/static audit of .*: 18 blockers/);
      expect(output).toContain(
        "blocker unit.dependencies ops/systemd/sattva-backend.service:4: Requires=sattva-db.service",
      );
      expect(output).toMatch(/the checkout .* has 18 blocker\(s\):/);
      // On the host: the backend unit cannot start (its Requires= names no unit), the streamer can.
      expect(output).toContain("systemctl start sattva-backend.service failed (exit 5)");
      expect(output).toMatch(/failed\s+unit sattva-backend is active and not restarting: inactive \(dead\)/);
      expect(output).toMatch(/passed\s+unit sattva-streamer is active and not restarting/);
      expect(output).toMatch(
        /failed\s+ytdlp-refresh.timer is active and next runs at 04:00 UTC: timer active, next run (?!.* 04:00:00 UTC)/,
      );
      expect(output).toMatch(/skipped\s+Grafana is healthy: the checkout deploys no Grafana/);
      expect(output).toMatch(
        /skipped\s+the streamer extracts media .*: the profile declares no streamer-heartbeat capability/,
      );
      // Everything the run found is in its report, the static audit's findings with the host's.
      const summary = await readFile(path.join(reports, "summary.md"), "utf8");
      expect(summary).toMatch(/#### Findings: \d+ blockers/);
      expect(summary).toContain("unit.dependencies");
      expect(summary).toContain("topology.backend-in-docker");
      // Test values from the example reached the host; no checkout's secret did (it has none to leak).
      expect(output).not.toContain("changeme");
    } finally {
      // The copy goes with the test, and so does the provisioned-host template its run made.
      await removeStackTemplate(stack);
    }
  });
});
