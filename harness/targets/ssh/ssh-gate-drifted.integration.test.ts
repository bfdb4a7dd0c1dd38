// A checkout grown apart from its runbook (the drifted stack) deployed on a host, then gated as a
// staging host is, over SSH: provisioning makes what production would (and changes nothing the second
// time); the gate reads the host by the checkout's profile and says NOT READY with what blocks the
// release, not with the harness's assumptions.
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

it("provisions the drifted stack idempotently, then gates it over SSH: NOT READY, naming what blocks the release", async () => {
  await withTempDir("gate-drifted", async (dir) => {
    const checkout = path.join(dir, "drifted");
    await cp(DRIFTED_STACK, checkout, { recursive: true });
    expect((await sattvaChaos(["init", "--stack", checkout])).exitCode).toBe(ExitCode.passed);
    const images = await ensureImages({ mode: "offline" });
    const host = await new ContainerTarget().start({
      images: imagesForHostEngine(images),
      ports: [...STACK_PORTS],
    });
    try {
      // Provisioned as production would be (users, env files from the example, units as written), and
      // idempotent there too: a second run changes nothing.
      const stack = new Stack(host, await openStackDir(checkout), images);
      const first = await stack.provision();
      expect(first.changes).toEqual(
        expect.arrayContaining([
          "user sattva created",
          "env file .env (test values)",
          "unit ytdlp-refresh.timer",
          "ytdlp-refresh.timer enabled",
          "timer ytdlp-refresh.timer started",
          // adminer has no image offline; the build-only worker is built on the catalogue's node image.
          "compose override: adminer unavailable",
          "image sattva-worker built from worker",
        ]),
      );
      // The streamer unit has no [Install] section: it cannot be enabled, as in production.
      expect(first.output).toContain("skipped: sattva-streamer.service cannot be enabled");
      expect((await host.run(`cat ${stack.root}/.env`)).stdout).toContain(
        "BOT_TOKEN=sattva-chaos-test-bot-token",
      );
      // The update script keeps the checkout's mode: no exec bit, as in production.
      expect((await host.run(`stat -c %a ${stack.root}/ops/update-ytdlp.sh`)).stdout.trim()).toBe("644");
      const second = await stack.provision();
      expect(second.changes, second.output).toEqual([]);

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
        /- smoke > the documented deployment reaches its steady state: steady state does not hold/,
      );
      expect(gate.stdout).toMatch(/- smoke > the running host matches the documented architecture/);
      // Its Redis is published on every interface: outsiders reach it, seen from this machine.
      expect(gate.stdout).toMatch(
        /- smoke > outsiders reach the frontend and nothing the deployment does not mean to show/,
      );
      expect(gate.stdout).toMatch(/- exposure\.redis-reachable :6379: .*Redis/);
      // Read by the checkout's names: its units and compose services, not the bundled stack's.
      expect(gate.stderr).toMatch(
        /failed\s+unit sattva-backend is active and not restarting: inactive \(dead\)/,
      );
      expect(gate.stderr).toMatch(/failed\s+ytdlp-refresh\.timer is active and next runs at 04:00 UTC/);
      expect(gate.stderr).toMatch(/passed\s+Redis answers/);
    } finally {
      await host.dispose();
    }
  });
});
