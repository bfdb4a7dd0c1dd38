// The ssh target against a real existing host: a container host with the stack deployed and started,
// reached over sshd like a staging host. Same scenario files as the container target; the harness
// provisions nothing there, reads by default, and breaks it only when both keys turn.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../errors.ts";
import type { Host } from "../../host/host.ts";
import { ensureImages, imagesForHostEngine } from "../../images/image-builder.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { reportDir } from "../../scenario/report-dir.ts";
import { STACK_PORTS } from "../../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../../stack/stack-layout.ts";
import { Stack } from "../../stack/stack.ts";
import { runLocal } from "../../host/local-command.ts";
import { listScenarios } from "../../scenario/run-scenarios.ts";
import { RunResultsSchema } from "../../results/run-results.ts";
import { PLAIN_OUTPUT, sattvaChaos } from "../../testing/cli.ts";
import { provisionedContent } from "../../testing/host-fingerprint.ts";
import { openSshAccess, type SshAccess } from "../../testing/ssh-access.ts";
import { ContainerTarget } from "../container/container-target.ts";
import { until } from "../../waits/wait.ts";
import { DISPOSABLE_MARKER } from "./ssh-target.ts";
import { closeToOutsiders } from "../../exposure/close-to-outsiders.ts";

const HOLD_SSH = fileURLToPath(new URL("../../testing/hold-ssh.ts", import.meta.url));
const VITEST = fileURLToPath(new URL("../../../node_modules/vitest/vitest.mjs", import.meta.url));
const VITEST_CONFIG = fileURLToPath(new URL("../../vitest.config.ts", import.meta.url));

/** Whether something accepts TCP connections on a loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => {
      resolve(false);
    });
  });
}

describe("ssh target on a deployed host", () => {
  let host: Host;
  let ssh: SshAccess;
  let sshArgs: string[];
  let finished: () => void;
  const keysKept = new Promise<void>((resolve) => (finished = resolve));

  beforeAll(async () => {
    const images = await ensureImages({ mode: "offline" });
    // The images every host of the suite gets: its hosts start from the one engine template.
    host = await new ContainerTarget().start({
      images: imagesForHostEngine(images),
      ports: [...STACK_PORTS],
    });
    const stack = new Stack(host, await openStackDir(BUNDLED_STACK), images);
    await stack.provision();
    await stack.start();
    // The keys live in a temporary directory for as long as the tests of this file run.
    ssh = await new Promise<SshAccess>((resolve, reject) => {
      void withTempDir("ssh-keys", async (dir) => {
        resolve(await openSshAccess(host, dir));
        await keysKept;
      }).catch(reject);
    });
    sshArgs = ["--target", ssh.url, "--ssh-key", ssh.key, "--ssh-known-hosts", ssh.knownHosts];
  });

  afterAll(async () => {
    finished();
    await host.dispose();
  });

  const report = (name: string) => ["--report", reportDir("ssh-target", name)];

  it("checks the host key strictly: a key never seen is refused unless --ssh-accept-new trusts it; the gate names it", async () => {
    await withTempDir("known-hosts", async (dir) => {
      const knownHosts = path.join(dir, "known_hosts");
      await writeFile(knownHosts, "");
      const args = ["--target", ssh.url, "--ssh-key", ssh.key, "--ssh-known-hosts", knownHosts];
      const refused = await sattvaChaos(["gate", ...args, ...report("unknown-key")]);
      expect(refused.exitCode, refused.stderr).toBe(ExitCode.usageOrEnvironment);
      expect(refused.stderr).toContain(`cannot connect to ${ssh.url}: `);
      expect(refused.stderr).toContain(`its host key is not in ${knownHosts}`);
      expect(refused.stderr).toContain("--ssh-accept-new");

      const trusted = await sattvaChaos(["gate", ...args, "--ssh-accept-new", ...report("accept-new")]);
      // Connected and judged (the verdict itself is the next test's).
      expect(trusted.stdout, trusted.stderr.slice(-3000)).toMatch(
        new RegExp(`^(NOT )?READY: ${ssh.url}`, "m"),
      );
      const [, fingerprint] = (await readFile(knownHosts, "utf8")).trim().split(" ");
      expect(fingerprint, "the key was recorded").toBe("ssh-ed25519");
      expect(trusted.stderr).toMatch(
        new RegExp(`its host key trusted: .*ED25519 SHA256:\\S+ \\(in ${knownHosts}\\)`),
      );
    });
  });

  it("refuses a destructive scenario without --allow-destructive, naming the tests and the marker", async () => {
    const refused = await sattvaChaos(["run", "smoke", "nginx-502", ...sshArgs, ...report("refused")]);
    expect(refused.exitCode, refused.stderr).toBe(ExitCode.usageOrEnvironment);
    expect(refused.stderr).toContain(`refusing to inject faults on the existing host ${ssh.url}`);
    expect(refused.stderr).toContain("--allow-destructive was not given");
    expect(refused.stderr).toContain(`${DISPOSABLE_MARKER} does not exist on the host`);
    expect(refused.stderr).toMatch(/these tests inject faults:\n\s+nginx-502 > nginx 502 > backend stopped/);
    expect(refused.stderr).not.toMatch(/^\s+smoke > /m);
  });

  it("refuses with --allow-destructive while the host has no disposable marker", async () => {
    const refused = await sattvaChaos([
      "run",
      "nginx-502",
      ...sshArgs,
      "--allow-destructive",
      ...report("no-marker"),
    ]);
    expect(refused.exitCode, refused.stderr).toBe(ExitCode.usageOrEnvironment);
    expect(refused.stderr).toContain(`${DISPOSABLE_MARKER} does not exist on the host`);
    expect(refused.stderr).not.toContain("--allow-destructive was not given");
  });

  it("a direct vitest run of the destructive files, without the opt-ins, changes nothing on the host", async () => {
    // What a fixture could change: the deployment's and the units' files, the units, the containers.
    const state = async () =>
      `${await provisionedContent(host)}\n${
        (
          await host.run(
            "systemctl show -p ActiveState -p MainPID -p NRestarts sattva-backend sattva-streamer yt-dlp-update.timer; " +
              "docker inspect --format '{{.Id}} {{.State.Status}} {{.State.StartedAt}} {{.RestartCount}}' $(docker ps -aq) | sort; " +
              "ls -la --time-style=full-iso /opt/sattva-streamer",
          )
        ).stdout
      }`;
    const before = await state();
    const files = (await listScenarios())
      .filter((name) => name !== "smoke")
      .map((n) => `scenarios/${n}.test.ts`);
    const direct = await runLocal(process.execPath, [VITEST, "run", "--config", VITEST_CONFIG, ...files], {
      check: false,
      timeoutMs: 10 * 60_000,
      env: {
        ...PLAIN_OUTPUT,
        SATTVA_CHAOS_TARGET: ssh.url,
        SATTVA_CHAOS_SSH_KEY: ssh.key,
        SATTVA_CHAOS_SSH_KNOWN_HOSTS: ssh.knownHosts,
        SATTVA_CHAOS_REPORT_DIR: reportDir("ssh-target", "direct-vitest"),
      },
    });
    const output = direct.stdout + direct.stderr;
    expect(direct.exitCode, output.slice(-3000)).not.toBe(0);
    expect(output).toContain(`refusing to inject faults on the existing host ${ssh.url}`);
    expect(output, "no test got as far as a fault").not.toMatch(/▸ \[[\w-]+\] (chaos mode|inject)/);
    expect(await state(), "the host as it was").toBe(before);
  });

  it("gates the release: not ready while outsiders reach the backend and the monitoring as the runbook publishes them; ready once closed to them", async () => {
    // As a CI job reads it: the results document on stdout, the verdict line on stderr.
    const exposed = await sattvaChaos(["gate", ...sshArgs, ...report("gate-exposed"), "--json"]);
    expect(exposed.exitCode, exposed.stderr.slice(-3000)).toBe(ExitCode.failed);
    expect(exposed.stderr).toContain(`NOT READY: ${ssh.url}`);
    const results = RunResultsSchema.parse(JSON.parse(exposed.stdout));
    expect(results).toMatchObject({ command: "gate", ready: false, status: "failed", exitCode: 1 });
    expect(results.counts.failed).toBe(0);
    const blocking = results.blocking.join("\n");
    // Seen from this machine at the host's address, not through the tunnel.
    expect(blocking).toMatch(/^exposure\.backend-bypasses-nginx :8000: .*HTTP/m);
    expect(blocking).toMatch(/^exposure\.prometheus-reachable :9090: /m);
    expect(blocking).toMatch(/^exposure\.alertmanager-reachable :9093: /m);
    expect(blocking, "the loopback-published database is not reached").not.toMatch(/:5432/);

    const { address } = await host.outside();
    await closeToOutsiders(host, { address, hostPorts: [8000], publishedPorts: [3001, 9090, 9093] });
    const gate = await sattvaChaos(["gate", ...sshArgs, ...report("gate-ready")]);
    expect(gate.exitCode, gate.stdout + gate.stderr.slice(-3000)).toBe(ExitCode.passed);
    expect(gate.stdout).toContain(`READY: ${ssh.url}`);
    // vitest's own report: smoke ran, the destructive files were skipped whole.
    expect(gate.stdout).toMatch(/smoke\.test\.ts \(3 tests\)/);
    expect(gate.stdout).toMatch(/nginx-502\.test\.ts \(4 tests \| 4 skipped\)/);
    expect(gate.stderr).toContain(`attach to the stack deployed on ${ssh.url}`);
    expect(gate.stderr).not.toMatch(/▸ provision/);
  });

  it("runs smoke and nginx-502 on the existing host once it is declared disposable and faults are allowed", async () => {
    await host.run(`mkdir -p $(dirname ${DISPOSABLE_MARKER}) && touch ${DISPOSABLE_MARKER}`);
    const run = await sattvaChaos([
      "run",
      "smoke",
      "nginx-502",
      ...sshArgs,
      "--allow-destructive",
      ...report("run"),
    ]);
    expect(run.exitCode, run.stderr.slice(-4000)).toBe(ExitCode.passed);
    expect(run.stderr).toMatch(/declared disposable, faults allowed/);
  });

  it("a harness killed with SIGKILL leaves no ssh process: its master and forwards end with it", async () => {
    const holder = spawn(process.execPath, [HOLD_SSH, ssh.url, ssh.key, ssh.knownHosts], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let port = 0;
    for await (const line of createInterface({ input: holder.stdout })) {
      port = Number(line);
      break;
    }
    expect(await accepts(port), "the forward of :3000 is up while the harness lives").toBe(true);
    holder.kill("SIGKILL");
    await until(`the forward on 127.0.0.1:${port} to close`, async () => ({
      ready: !(await accepts(port)),
      detail: "still accepting: the ssh master outlived the harness",
    })).waitUntilReady(15_000);
  });

  it("blocks the release with a summary of what fails when the streamer is down", async () => {
    await host.run("systemctl stop sattva-streamer");
    try {
      const gate = await sattvaChaos(["gate", ...sshArgs, ...report("gate-blocked")]);
      expect(gate.exitCode, gate.stderr.slice(-3000)).toBe(ExitCode.failed);
      expect(gate.stdout).toContain(`NOT READY: ${ssh.url}`);
      expect(gate.stdout).toMatch(
        /- smoke > the documented deployment reaches its steady state: steady state does not hold/,
      );
    } finally {
      await host.run("systemctl start sattva-streamer");
    }
  });
});
