// The release gate on a staging host that runs a checkout grown apart from its runbook (the drifted
// stack), reached over SSH as a real one would be: it is read by the checkout's profile, and the gate
// says NOT READY with what blocks the release, not with the harness's assumptions.
import { cp } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { ExitCode } from "../../errors.ts";
import { ensureImages, imagesForHostEngine } from "../../images/image-builder.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { reportDir } from "../../scenario/report-dir.ts";
import { STACK_PORTS } from "../../stack-ports.ts";
import { openStackDir } from "../../stack/stack-layout.ts";
import { Stack } from "../../stack/stack.ts";
import { sattvaChaos } from "../../testing/cli.ts";
import { openSshAccess } from "../../testing/ssh-access.ts";
import { ContainerTarget } from "../container/container-target.ts";

const DRIFTED_STACK = fileURLToPath(new URL("../../../fixtures/stacks/drifted/", import.meta.url));

it("gates a host running the drifted stack: NOT READY, naming what blocks the release", async () => {
  await withTempDir("gate-drifted", async (dir) => {
    const checkout = path.join(dir, "drifted");
    await cp(DRIFTED_STACK, checkout, { recursive: true });
    expect((await sattvaChaos(["init", "--stack", checkout])).exitCode).toBe(ExitCode.passed);
    const images = await ensureImages({ mode: "offline" });
    const host = await new ContainerTarget().start({
      images: imagesForHostEngine(images),
      ports: [...STACK_PORTS, 22],
    });
    try {
      const stack = new Stack(host, await openStackDir(checkout), images);
      await stack.provision();
      await stack.start();
      const ssh = await openSshAccess(host, dir);
      const gate = await sattvaChaos([
        "gate",
        "--target",
        ssh.url,
        "--ssh-key",
        ssh.key,
        "--ssh-known-hosts",
        ssh.knownHosts,
        "--stack",
        checkout,
        "--report",
        reportDir("ssh-gate-drifted"),
      ]);
      expect(gate.exitCode, gate.stderr.slice(-3000)).toBe(ExitCode.failed);
      expect(gate.stdout).toContain(`NOT READY: ${ssh.url}`);
      expect(gate.stdout).toMatch(
        /- the documented deployment reaches its steady state: steady state does not hold/,
      );
      expect(gate.stdout).toMatch(/- the running host matches the documented architecture/);
      // Read by the checkout's names: its units and compose services, not the bundled stack's.
      expect(gate.stderr).toMatch(
        /failed\s+unit sattva-backend is active: systemctl is-active sattva-backend.service: inactive/,
      );
      expect(gate.stderr).toMatch(/failed\s+ytdlp-refresh\.timer is active and next runs at 04:00 UTC/);
      expect(gate.stderr).toMatch(/passed\s+Redis answers/);
    } finally {
      await host.dispose();
    }
  });
});
