// Smoke must be able to fail: against deliberately broken copies of the stack it fails, and its
// output names the cause. Each case runs the real command line, as CI would.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { writeBrokenStack, type BreakageName } from "../testing/broken-stack.ts";

/** Each breakage and what smoke's failure must say about it. */
const EXPECTED_CAUSE: Record<BreakageName, RegExp> = {
  "nginx-wrong-port":
    /failed\s+nginx proxies \/api\/health to the backend: 200: GET :3000\/api\/health -> 502/,
  "backend-loopback-only":
    /failed\s+the backend answers the frontend container at 172\.17\.0\.1:8000: .*:8000 listeners: 127\.0\.0\.1:8000/,
  "timer-other-hour":
    /failed\s+yt-dlp-update\.timer is active and next runs at 04:00 UTC: timer active, next run .* 05:00:00 UTC/,
  "redis-published-publicly":
    /redis:6379: sattva-streamer-redis-1 publishes :6379 on all interfaces; the runbook does not expose it/,
  "prometheus-scrapes-wrong-host":
    /failed\s+Prometheus scrapes every target .*sattva-streamer http:\/\/localhost:9101\/metrics: down/,
};

describe("smoke fails, naming the cause, on a broken stack", () => {
  for (const [breakage, cause] of Object.entries(EXPECTED_CAUSE) as [BreakageName, RegExp][]) {
    it(breakage, async () => {
      await withTempDir(`broken-${breakage}`, async (dir) => {
        const stack = await writeBrokenStack(breakage, path.join(dir, "stack"));
        const result = await sattvaChaos(["run", "smoke", "--stack", stack]);
        const output = result.stdout + result.stderr;
        expect(result.exitCode, output).toBe(ExitCode.failed);
        expect(output).toMatch(cause);
      });
    });
  }
});
