// A healthy checkout that names and lays out everything its own way (harness/testing/renamed-stack.ts):
// units, containers, compose file and services, the install root, the backend's and the web port,
// nginx's upstream, scrape targets and jobs, alerts, monitoring kept off the public interfaces. `init`
// reads its names, and every scenario that needs no capability the profile lacks passes on it: the
// runbook's commands are typed with this checkout's names and say so, the assertions follow them.
import path from "node:path";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { makeTempDir, type TempDir } from "../lifecycle/temp-dir.ts";
import { readJournals } from "../report/journal.ts";
import { testName, whyNotPassed } from "../report/run-summary.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { writeRenamedStack } from "../testing/renamed-stack.ts";
import { removeStackTemplate } from "../testing/stack-templates.ts";

/** Every scenario file. */
const SCENARIOS = [
  "smoke",
  "firewall",
  "nginx-502",
  "port-8000-conflict",
  "db-not-ready",
  "yt-dlp-broken",
  "network-chaos",
];

/** The only tests that may not pass: they read a probe `init` cannot know this checkout has. */
const NEEDS_HEARTBEAT = /^(\(b\) bad release|Redis resets)/;

describe("a renamed but healthy checkout", () => {
  let dir: TempDir | undefined;
  let stack = "";
  beforeAll(async () => {
    dir = await makeTempDir("renamed-run");
    stack = await writeRenamedStack(path.join(dir.path, "renamed"));
  });
  afterAll(async () => {
    if (stack !== "") await removeStackTemplate(stack);
    await dir?.remove();
  });

  it("init reads its names, and the scenarios pass on it by them", async () => {
    const init = await sattvaChaos(["init", "--stack", stack]);
    expect(init.exitCode, init.stderr).toBe(ExitCode.passed);
    const profile = JSON.parse(await readFile(path.join(stack, "sattva-chaos.json"), "utf8")) as {
      compose: { files: string[] };
      units: Record<string, string>;
      backend: { port: number; health: string[] };
      root: string;
    };
    expect(profile.compose.files).toEqual(["deploy/compose.yaml"]);
    expect(profile.units["backend"]).toBe("sattva-api.service");
    expect(profile.backend).toEqual({ port: 8080, health: ["/healthz"] });
    expect(profile.root).toBe("/srv/sattva");

    const reports = path.join(dir?.path ?? "", "reports");
    const run = await sattvaChaos(["run", ...SCENARIOS, "--stack", stack, "--report", reports]);
    const output = `${run.stdout}\n${run.stderr}`;
    const journals = await readJournals(path.join(reports, "journals"));
    expect(journals.length, output).toBeGreaterThan(10);
    for (const journal of journals) {
      const name = testName(journal);
      if (NEEDS_HEARTBEAT.test(journal.test)) {
        expect(journal.verdict.status, name).toBe("inconclusive");
        expect(whyNotPassed(journal.verdict), name).toMatch(/capability streamer-heartbeat/);
      } else {
        expect(journal.verdict.status, `${name}: ${whyNotPassed(journal.verdict)}`).toBe("passed");
      }
    }
    expect(run.exitCode, output).toBe(ExitCode.inconclusive);
    // The runbook's commands ran by this checkout's names, each saying which.
    const steps = journals.flatMap((journal) => journal.runbook);
    const restart = steps.find((step) => step.command === "systemctl restart sattva-backend");
    expect(restart?.adapted).toEqual({
      ran: "systemctl restart sattva-api",
      why: "this checkout's names: sattva-backend → sattva-api",
    });
    expect(
      steps.find((step) => step.command === "docker logs sattva-streamer-frontend-1")?.adapted?.ran,
    ).toBe("docker logs sattva-streamer-web-1");
    // Its alerts page Telegram, which the harness cannot read: timed where Alertmanager routes them.
    const routed = journals.flatMap((journal) =>
      Object.entries(journal.results).filter(([key]) => key.endsWith(" routed to")),
    );
    expect(routed.map(([key]) => key)).toContain("ApiUnreachable routed to");
    expect(String(routed[0]?.[1])).toMatch(
      /^telegram-oncall \(telegram_configs\), which the harness cannot read/,
    );
  });
});
