import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { runLocal } from "../host/local-command.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { ScenarioListSchema } from "../results/scenario-list.ts";
import { COMMAND_HELP } from "./help.ts";

// Each test starts the CLI several times; while the integration tests keep both cores busy, one start
// alone can take seconds.
describe("bad input gets a clear message and exit code 3", { timeout: 60_000 }, () => {
  it("an unknown target name", async () => {
    const result = await sattvaChaos(["up", "--target", "kubernetes"]);
    expect(result.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(result.stderr).toContain(
      'unknown target "kubernetes": expected one of container, vagrant, ssh://user@host[:port], or the name of a host left up by `up`',
    );
  });

  it("a malformed ssh target, a missing key file, an unreachable host, a gate without a target", async () => {
    const url = await sattvaChaos(["run", "smoke", "--target", "ssh://staging"]);
    expect(url.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(url.stderr).toContain('--target "ssh://staging" names no user: expected ssh://user@host[:port]');

    const key = await sattvaChaos([
      "gate",
      "--target",
      "ssh://root@127.0.0.1",
      "--ssh-key",
      "/nonexistent/id",
    ]);
    expect(key.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(key.stderr).toContain('--ssh-key "/nonexistent/id": no readable file there');

    // Port 1 on loopback: nothing listens there, so ssh is refused at once.
    const unreachable = await sattvaChaos(["run", "nginx-502", "--target", "ssh://root@127.0.0.1:1"]);
    expect(unreachable.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(unreachable.stderr).toMatch(/cannot connect to ssh:\/\/root@127\.0\.0\.1:1: .*Connection refused/);

    const shell = await sattvaChaos(["shell", "sattva-chaos-host-nosuch"]);
    expect(shell.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(shell.stderr).toMatch(
      /shell needs the name of one host left up by `up` or --keep \(got "sattva-chaos-host-nosuch"\)/,
    );

    const gate = await sattvaChaos(["gate"]);
    expect(gate.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(gate.stderr).toContain("gate needs --target");

    const up = await sattvaChaos(["up", "--target", "ssh://root@127.0.0.1"]);
    expect(up.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(up.stderr).toContain("is an existing one: use run or gate on it");
  });

  it("a --replay file that is not a journal, of another version, incomplete, or with a scenario of its own", async () => {
    const missing = await sattvaChaos(["run", "--replay", "/nonexistent/journal.json"]);
    expect(missing.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(missing.stderr).toContain(
      "--replay /nonexistent/journal.json: expected a journal written by `sattva-chaos run`",
    );
    await withTempDir("replay", async (dir) => {
      const file = path.join(dir, "journal.json");
      const replayOf = async (journal: unknown, ...args: string[]) => {
        await writeFile(file, JSON.stringify(journal));
        const run = await sattvaChaos(["run", ...args, "--replay", file]);
        expect(run.exitCode, run.stderr).toBe(ExitCode.usageOrEnvironment);
        expect(run.stderr, "one clear message, no stack trace").not.toMatch(/\n\s+at /);
        return run.stderr;
      };
      expect(await replayOf({ scenario: "smoke" })).toContain(
        "this one has no journal version (an older sattva-chaos, or not a journal), and this sattva-chaos replays version 1",
      );
      expect(await replayOf({ schemaVersion: 2 })).toContain("this one has journal version 2");
      const journal = {
        schemaVersion: 1,
        scenario: "smoke",
        test: "t",
        verdict: { status: "passed" },
        startedAt: "2026-12-03T09:00:00.000Z",
        durationMs: 1000,
        stack: dir,
        host: "sattva-chaos-host-00000000",
        results: {},
        faults: [],
        residue: [],
        timeline: [],
        runbook: [],
        replay: {
          scenario: "smoke",
          test: "t",
          target: "container",
          stack: dir,
          imageMode: "offline",
          images: {},
        },
      };
      const incomplete = await replayOf({
        ...journal,
        verdict: { status: "failed" },
        replay: { ...journal.replay, stack: undefined },
      });
      expect(incomplete).toContain(`--replay ${file}: not a whole journal of version 1:`);
      expect(incomplete).toContain("verdict.cause: expected string, got nothing");
      expect(incomplete).toContain("replay.stack: expected string, got nothing");
      expect(await replayOf(journal, "smoke")).toContain(
        "--replay runs the journal's scenario and test on its target, stack and image mode; drop smoke",
      );
      // A journal of a test renamed since: nothing would run, and the replay would pass.
      const renamed = { ...journal, replay: { ...journal.replay, test: "a test renamed since" } };
      expect(await replayOf(renamed)).toContain(
        `the journal's test "a test renamed since" is no longer one of smoke's tests (renamed or removed since): nothing to replay`,
      );
    });
  });

  it("audit or init on a path that is no checkout, or with a profile that has a typo, a wrong type or an unknown key", async () => {
    const missing = await sattvaChaos(["audit", "--stack", "/nonexistent/checkout"]);
    expect(missing.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(missing.stderr).toContain(
      "--stack /nonexistent/checkout: no such directory (expected a checkout of the deployment)",
    );
    await withTempDir("profile", async (dir) => {
      const empty = await sattvaChaos(["audit", "--stack", dir]);
      expect(empty.exitCode).toBe(ExitCode.usageOrEnvironment);
      expect(empty.stderr).toContain(
        `--stack ${dir}: not a checkout of the deployment: no compose file, no systemd unit and no sattva-chaos.json in it`,
      );
      const profile = path.join(dir, "sattva-chaos.json");
      await writeFile(
        profile,
        JSON.stringify({
          unitz: { dir: "ops" },
          backend: { port: "8080" },
          compose: { services: { db: 5 } },
        }),
      );
      const bad = await sattvaChaos(["audit", "--stack", dir]);
      expect(bad.exitCode).toBe(ExitCode.usageOrEnvironment);
      expect(bad.stderr).toContain(`${profile} is not a valid profile:`);
      expect(bad.stderr).toContain('unitz: unknown key (did you mean "units"?); expected one of');
      expect(bad.stderr).toContain('backend.port: expected number, got "8080"');
      expect(bad.stderr).toContain("compose.services.db: expected string, got 5");
      await writeFile(profile, "{ not json");
      expect((await sattvaChaos(["audit", "--stack", dir])).stderr).toContain(`${profile}: not valid JSON`);
      const init = await sattvaChaos(["init", "--stack", path.join(dir, "nope")]);
      expect(init.exitCode).toBe(ExitCode.usageOrEnvironment);
      expect(init.stderr).toContain("no such directory");
    });
  });

  it("an unknown image mode", async () => {
    const result = await sattvaChaos(["images", "build", "--mode", "cloud"]);
    expect(result.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(result.stderr).toContain('unknown image mode "cloud": expected one of offline, online');
  });

  it("an unknown service, command or option", async () => {
    expect((await sattvaChaos(["images", "build", "mysql"])).stderr).toContain('unknown service "mysql"');
    const command = await sattvaChaos(["deploy"]);
    expect(command.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(command.stderr).toContain(
      'unknown command "deploy": expected one of run, audit, init, gate, vagrant, list, images, up, down, shell, clean',
    );
    const option = await sattvaChaos(["clean", "--everything"]);
    expect(option.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(option.stderr).toContain("--everything");
  });

  it("--metrics into a directory that does not exist, before any work", async () => {
    const result = await sattvaChaos(["run", "smoke", "--metrics", "/nonexistent/dir/sattva.prom"]);
    expect(result.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(result.stderr).toContain(
      "--metrics /nonexistent/dir/sattva.prom: no directory /nonexistent/dir (expected a file in an existing directory)",
    );
  });

  it("--grep that matches no test, before any host is made (a run of nothing would pass)", async () => {
    const result = await sattvaChaos(["run", "nginx-502", "--grep", "crashed|stopped"]);
    expect(result.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(result.stderr).toContain(
      '--grep "crashed|stopped" matches no test of nginx-502: it is matched as plain text in the tests\' names',
    );
  });

  it("--jobs that is no count, or above 1 where a run's files share one host", async () => {
    const count = await sattvaChaos(["run", "smoke", "--jobs", "two"]);
    expect(count.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(count.stderr).toContain('--jobs "two": expected how many scenario files to run at once');
    const shared = await sattvaChaos(["run", "--target", "ssh://deploy@127.0.0.1:1", "--jobs", "2"]);
    expect(shared.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(shared.stderr).toMatch(
      /--jobs 2: the ssh:\/\/deploy@127\.0\.0\.1:1 target runs a run's scenario files on one host/,
    );
  });

  it("Docker not running, saying how to start it", async () => {
    for (const args of [["images", "build"], ["clean"]]) {
      const result = await sattvaChaos(args, { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
      expect(result.exitCode).toBe(ExitCode.usageOrEnvironment);
      expect(result.stderr).toMatch(/Docker is not running or not reachable .*start it with `dockerd/);
    }
  });

  it("run, up and doctor with Docker stopped: exit 3 naming it and the fix, before any work", async () => {
    const stopped = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };
    for (const args of [["run", "smoke"], ["up"], ["doctor"]]) {
      const result = await sattvaChaos(args, stopped);
      expect(result.exitCode, result.stderr).toBe(ExitCode.usageOrEnvironment);
      expect(result.stdout + result.stderr).toMatch(
        /MISSING {2}Docker engine +not running or not reachable .*; fix: start it with `dockerd/,
      );
      expect(result.stderr).not.toContain("images (offline)");
    }
  });

  // These machines keep an end-of-life Node 20 as the system's node.
  const oldNode = "/usr/bin/node";
  const oldNodeMajor = existsSync(oldNode)
    ? Number(execFileSync(oldNode, ["--version"], { encoding: "utf8" }).slice(1).split(".")[0])
    : 0;
  it.runIf(oldNodeMajor > 0 && oldNodeMajor < 24)("a Node older than 24, saying how to get 24", async () => {
    const bin = fileURLToPath(new URL("./bin.js", import.meta.url));
    const result = await runLocal(oldNode, [bin, "images", "list"], { check: false });
    expect(result.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(result.stderr).toMatch(/too old: expected Node 24 LTS\. Run `npm ci`/);
  });
});

describe("help and version", { timeout: 120_000 }, () => {
  it("--help lists the commands and the exit codes; a bare command is a usage error on stderr", async () => {
    const result = await sattvaChaos(["--help"]);
    expect(result.exitCode).toBe(ExitCode.passed);
    expect(result.stdout).toMatch(
      /images build[\s\S]*exit codes: 0 passed, 1 a scenario failed \(or a blocker\), 2 inconclusive/,
    );
    const bare = await sattvaChaos([]);
    expect(bare.exitCode).toBe(ExitCode.usageOrEnvironment);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toMatch(/^sattva-chaos: no command given\n\nusage: sattva-chaos <command>/);
  });

  it("every command's --help exits 0 with its own forms, options and nothing run", async () => {
    for (const command of Object.keys(COMMAND_HELP)) {
      const result = await sattvaChaos([command, "--help"], {
        DOCKER_HOST: "unix:///nonexistent/docker.sock",
      });
      expect(result.exitCode, `${command} --help: ${result.stderr}`).toBe(ExitCode.passed);
      expect(result.stdout).toMatch(new RegExp(`^usage: sattva-chaos ${command}\\b`));
    }
    const audit = await sattvaChaos(["audit", "-h"]);
    expect(audit.stdout).toContain("--runbook FILE");
    expect(audit.stdout).toMatch(/examples:\n {2}sattva-chaos audit --stack \./);
    expect((await sattvaChaos(["help", "gate"])).stdout).toMatch(/^usage: sattva-chaos gate --target/);
    // After `--`, --help is the command's own (`shell HOST -- ls --help`), not a request for ours.
    const shell = await sattvaChaos(["shell", "no-such-host", "--", "ls", "--help"]);
    expect(shell.exitCode).toBe(ExitCode.usageOrEnvironment);
  });

  it("doctor prints one line per check with what it found, and exits 0 on this machine", async () => {
    const result = await sattvaChaos(["doctor"]);
    expect(result.exitCode, result.stdout + result.stderr).toBe(ExitCode.passed);
    const lines = result.stdout.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const line of lines) expect(line).toMatch(/^(ok|warning|MISSING) +\S/);
    expect(result.stdout).toMatch(/^ok +Docker engine +Docker \d+\.\d+/m);
    expect(result.stdout).toMatch(/^(ok|warning) +disk space +\d+(\.\d)? GiB free in \//m);
  });

  it("list --json: every scenario with its tests, the release gate's marked, valid against its schema", async () => {
    const result = await sattvaChaos(["list", "--json"]);
    expect(result.exitCode, result.stderr).toBe(ExitCode.passed);
    const list = ScenarioListSchema.parse(JSON.parse(result.stdout));
    const smoke = list.scenarios.find((s) => s.name === "smoke");
    expect(smoke?.tests.length).toBeGreaterThanOrEqual(3);
    expect(smoke?.tests.every((t) => t.readOnly)).toBe(true);
    expect(list.scenarios.find((s) => s.name === "nginx-502")?.tests.some((t) => t.readOnly)).toBe(false);
  });

  it("--version prints the package's version", async () => {
    const result = await sattvaChaos(["--version"]);
    expect(result.exitCode).toBe(ExitCode.passed);
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(result.stdout).toBe(`${version}\n`);
  });
});
