// A scenario that cannot fail is a defect: each one is run, through the real command line, against a
// deliberately broken copy of the stack in which it must fail, and its output must name the cause.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { writeBrokenStack, type BreakageName } from "../testing/broken-stack.ts";
import { removeStackTemplate } from "../testing/stack-templates.ts";

interface SelfTest {
  readonly scenario: string;
  readonly breakage: BreakageName;
  /** Limits the run to the scenario's tests that the breakage concerns (`run --grep`). */
  readonly grep?: string;
  /** What the failure must say. */
  readonly cause: RegExp;
  /** The exit code the run must end with: failed unless the breakage keeps the baseline from holding. */
  readonly exitCode?: number;
  /** Also replays the failed test from its journal (`run --replay`), which must fail the same way. */
  readonly replay?: true;
}

const SELF_TESTS: readonly SelfTest[] = [
  {
    scenario: "smoke",
    breakage: "nginx-wrong-port",
    cause: /failed\s+nginx proxies \/api\/health to the backend: 200: GET :3000\/api\/health -> 502/,
  },
  {
    scenario: "smoke",
    breakage: "backend-loopback-only",
    cause:
      /failed\s+the backend answers the frontend container at 172\.17\.0\.1:8000: .*:8000 listeners: 127\.0\.0\.1:8000/,
  },
  {
    scenario: "smoke",
    breakage: "timer-other-hour",
    cause:
      /failed\s+yt-dlp-update\.timer is active and next runs at 04:00 UTC: timer active, next run .* 05:00:00 UTC/,
  },
  {
    scenario: "smoke",
    breakage: "redis-published-publicly",
    cause:
      /BLOCKER topology\.public-port +redis:6379\s+observed: sattva-streamer-redis-1 publishes :6379 on all interfaces; the runbook does not expose it/,
  },
  {
    scenario: "smoke",
    breakage: "prometheus-scrapes-wrong-host",
    cause:
      /failed\s+Prometheus scrapes every target .*sattva-streamer http:\/\/localhost:9101\/metrics: down/,
  },
  {
    scenario: "nginx-502",
    breakage: "backend-no-restart",
    grep: "crashed",
    cause:
      /did not return to its steady state:\s+failed\s+unit sattva-backend is active and not restarting: (failed \(failed\)|inactive \(dead\))/,
  },
  {
    scenario: "db-not-ready",
    breakage: "backend-never-reconnects",
    grep: "restarts under",
    // The backend's /health names the cause: its one connection is closed for good.
    cause:
      /did not return to its steady state:[\s\S]*failed\s+nginx proxies \/api\/health to the backend: 200: GET :3000\/api\/health -> 503 .*postgres\\?":\\?"down: the connection is closed/,
  },
  {
    scenario: "port-8000-conflict",
    breakage: "backend-no-restart",
    grep: "holds :8000 first",
    cause: /timed out after \d+s waiting for one of: sattva-backend restarted by systemd \(NRestarts > 0\)/,
  },
  {
    // Broken before any fault: no verdict can be given, and the exit code says so (2, not 1).
    scenario: "nginx-502",
    breakage: "nginx-wrong-port",
    grep: "backend stopped",
    exitCode: ExitCode.inconclusive,
    cause: /the steady state did not hold before the fault:[\s\S]*GET :3000\/api\/health -> 502/,
  },
  {
    scenario: "network-chaos",
    breakage: "backend-slow-dependency-timeout",
    grep: "PostgreSQL 2 s slower",
    replay: true,
    // Slow but not failing: /api/health answers 200 seconds late instead of 503 within 2 s.
    cause: /the backend's 2 s dependency timeout answers before nginx's 60 s: expected 200 to be 503/,
  },
  {
    scenario: "yt-dlp-broken",
    breakage: "update-script-no-restart",
    grep: "bad release",
    cause: /timed out after \d+s waiting for one of: the streamer's extraction fails/,
  },
];

// Two at a time: each boots its own host, and most of a failing run is waiting out a tolerance.
describe.concurrent("every scenario fails, naming the cause, on a stack broken where it looks", () => {
  for (const { scenario, breakage, grep, cause, exitCode = ExitCode.failed, replay } of SELF_TESTS) {
    it(`${scenario} on ${breakage}`, async ({ expect }) => {
      await withTempDir(`broken-${breakage}`, async (dir) => {
        const stack = await writeBrokenStack(breakage, path.join(dir, "stack"));
        try {
          const filter = grep === undefined ? [] : ["--grep", grep];
          // Its own report directory: two runs at once must not read each other's JUnit or journals.
          const report = ["--report", path.join(dir, "reports")];
          const result = await sattvaChaos(["run", scenario, ...filter, "--stack", stack, ...report]);
          const output = result.stdout + result.stderr;
          expect(result.exitCode, output).toBe(exitCode);
          expect(output).toMatch(cause);
          if (replay === true) {
            // How an engineer reproduces last night's failure: the journal alone says what to run and where.
            const journals = path.join(dir, "reports", "journals", scenario);
            const [journal] = await readdir(journals);
            const again = await sattvaChaos([
              "run",
              "--replay",
              path.join(journals, journal ?? ""),
              ...report,
            ]);
            const replayed = again.stdout + again.stderr;
            expect(again.exitCode, replayed).toBe(exitCode);
            expect(replayed).toMatch(cause);
            expect(replayed).toMatch(/replay: the same verdict: failed: /);
          }
        } finally {
          // The copy goes with the test, and so does the template its runs made (keyed by its content).
          await removeStackTemplate(stack);
        }
      });
    });
  }
});
