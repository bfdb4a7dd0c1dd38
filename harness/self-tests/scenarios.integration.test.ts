// Every documented failure's scenario fails, naming the cause, on a copy of the stack in which recovery
// does not happen; broken before any fault, a run is inconclusive instead.
import { ExitCode } from "../errors.ts";
import { describeSelfTests } from "../testing/self-tests.ts";

describeSelfTests("every failure scenario fails, naming the cause, on a stack broken where it looks", [
  {
    scenario: "nginx-502",
    breakage: "backend-no-restart",
    grep: "crashed",
    // The backend's journal, watched as it happens, shows the kill and no restart scheduled.
    cause:
      /systemd schedules the restart \(Restart=always\): expected [\s\S]* to match \/Scheduled restart job[\s\S]*status=9\/KILL/,
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
    // Slow but not failing: /api/health hangs (then answers 200 seconds late) instead of 503 within 2 s.
    cause:
      /timed out after \d+s waiting for one of: GET :3000\/api\/health answers 503; last seen: .*probe error: Headers Timeout Error/,
  },
  {
    scenario: "network-chaos",
    breakage: "dependency-alert-too-slow",
    grep: "partitioned",
    // /health says 503 at once, but the checkout's alerts stay pending: nobody is paged.
    cause: /an alert on the partition must reach the receiver/,
  },
  {
    scenario: "firewall",
    breakage: "nginx-serves-prometheus",
    grep: "DOCKER-USER rules",
    // Every published port closes to outsiders, yet the web port they keep hands Prometheus out.
    cause:
      /still open to outsiders:[\s\S]*exposure\.prometheus-through-frontend[\s\S]*GET :3000\/prometheus\/api\/v1\/status\/buildinfo/,
  },
  {
    scenario: "yt-dlp-broken",
    breakage: "update-script-no-restart",
    grep: "bad release",
    cause: /timed out after \d+s waiting for one of: the streamer's extraction fails/,
  },
]);
