// A checkout that grew apart from its runbook (fixtures/stacks/drifted), run as a user would: `init`,
// then `run`. It is not refused (never exit 3): the host boots, what can run runs, each check that
// needs a missing part is skipped by name, each test that needs one says so in its verdict, and the
// run fails naming each blocker.
import { cp, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { makeTempDir, type TempDir } from "../lifecycle/temp-dir.ts";
import { readJournals } from "../report/journal.ts";
import { testName, whyNotPassed, type VerdictStatus } from "../report/run-summary.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { removeStackTemplate } from "../testing/stack-templates.ts";

const DRIFTED_STACK = fileURLToPath(new URL("../../fixtures/stacks/drifted/", import.meta.url));

/** How a scenario test must end on the drifted stack, and what its verdict must say. */
interface Expected {
  readonly status: VerdictStatus;
  readonly cause: RegExp;
}

/** The backend unit requires a unit nobody has: no fault is injected, the steady state never holds. */
const BACKEND_NEVER_STARTS: Expected = {
  status: "inconclusive",
  cause:
    /^the steady state did not hold before the fault:\nfailed +unit sattva-backend is active and not restarting: inactive \(dead\)/,
};

/** nginx proxies to the compose backend, not to the systemd one: toxiproxy has no path to stand in. */
const CHAOS_MODE_HAS_NO_UPSTREAM: Expected = {
  status: "inconclusive",
  cause:
    /^chaos mode \(toxiproxy between the services\) needs the frontend's .*default\.conf to proxy to 172\.17\.0\.1:8080/,
};

/**
 * Every scenario but smoke (asserted on its own below): the verdict of each of its tests, and of
 * those that end otherwise, by name.
 */
const EXPECTED: Readonly<Record<string, { every: Expected; except?: Readonly<Record<string, Expected>> }>> = {
  "db-not-ready": { every: BACKEND_NEVER_STARTS },
  firewall: { every: BACKEND_NEVER_STARTS },
  "network-chaos": { every: CHAOS_MODE_HAS_NO_UPSTREAM },
  "nginx-502": { every: BACKEND_NEVER_STARTS },
  "port-8000-conflict": { every: BACKEND_NEVER_STARTS },
  "yt-dlp-broken": {
    every: BACKEND_NEVER_STARTS,
    except: {
      // The runbook's own commands, typed with this checkout's timer, ytdlp-refresh.timer: it is
      // not scheduled at 04:00.
      "the update timer is scheduled daily at 04:00 UTC": {
        status: "failed",
        cause: /^the runbook's `systemctl list-timers ytdlp-refresh\.timer` shows it at 04:00 UTC/,
      },
      // It reads the bundled streamer's heartbeat, which this checkout's profile does not declare.
      "(b) bad release 2099.1.1 on the index: the 04:00 update installs it, extraction fails, the alert fires":
        {
          status: "inconclusive",
          cause:
            /^this test reads the streamer's heartbeat .*\(capability streamer-heartbeat\), which the deployment's profile does not declare/,
        },
    },
  },
};

describe("the drifted stack", () => {
  let dir: TempDir | undefined;
  let stack = "";
  beforeAll(async () => {
    dir = await makeTempDir("drifted-run");
    stack = path.join(dir.path, "drifted");
    await cp(DRIFTED_STACK, stack, { recursive: true });
    expect((await sattvaChaos(["init", "--stack", stack])).exitCode).toBe(ExitCode.passed);
  });
  afterAll(async () => {
    // The copy goes with the tests, and so does the provisioned-host template their runs made.
    if (stack !== "") await removeStackTemplate(stack);
    await dir?.remove();
  });
  const reportsOf = (name: string) => path.join(dir?.path ?? "", name);

  it("init, then run smoke: exit 1 naming each blocker, the rest checked", async () => {
    const reports = reportsOf("smoke-reports");
    const run = await sattvaChaos(["run", "smoke", "--stack", stack, "--report", reports]);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, output).toBe(ExitCode.failed);
    // The static audit names the blockers first, and the run's end names them again.
    expect(output).toMatch(/static audit of .*: 16 blockers/);
    expect(output).toContain(
      "blocker unit.dependencies ops/systemd/sattva-backend.service:4: Requires=sattva-db.service",
    );
    expect(output).toMatch(/the checkout .* has 16 blocker\(s\):/);
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
  });

  it("every other scenario runs on it, each test's verdict naming what stops it", async () => {
    const scenarios = (await sattvaChaos(["list"])).stdout
      .split("\n")
      .filter((s) => s !== "" && s !== "smoke");
    expect(scenarios.sort()).toEqual(Object.keys(EXPECTED).sort());
    const reports = reportsOf("scenario-reports");
    const run = await sattvaChaos(["run", ...scenarios, "--stack", stack, "--report", reports]);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.exitCode, output).toBe(ExitCode.failed);
    const journals = await readJournals(path.join(reports, "journals"));
    // Every test ran to a verdict in its journal: as many journals per scenario as JUnit has tests.
    const junit = await readFile(path.join(reports, "junit.xml"), "utf8");
    for (const scenario of scenarios) {
      const tests = junit.split(`<testcase classname="scenarios/${scenario}.test.ts"`).length - 1;
      expect(journals.filter((j) => j.scenario === scenario).length, scenario).toBe(tests);
    }
    for (const journal of journals) {
      const { every, except } = EXPECTED[journal.scenario] ?? {};
      const expected = except?.[journal.test] ?? every;
      const name = testName(journal);
      expect(expected, `${name} is not expected`).toBeDefined();
      expect(journal.verdict.status, `${name}: ${whyNotPassed(journal.verdict)}`).toBe(expected?.status);
      expect(whyNotPassed(journal.verdict), name).toMatch(expected?.cause ?? /^$/);
    }
  });
});
