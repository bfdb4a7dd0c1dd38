import { readHeartbeat } from "../probes/heartbeat.ts";
import { httpGet, httpGetJson } from "../probes/http.ts";
import { describeListeners, listenersOn } from "../probes/ports.ts";
import { until } from "../waits/wait.ts";
import type { Stack } from "./stack.ts";

/** What one look at a part of the deployment saw. */
export type Observation = { readonly ok: boolean; readonly detail: string } | { readonly skipped: string };

/** One property of the documented deployment, observed on the running host. */
export interface SteadyStateCheck {
  readonly name: string;
  /** How long the check may take to hold after a start (scrapes and health checks lag). */
  readonly toleranceMs: number;
  observe(stack: Stack): Promise<Observation>;
}

export interface CheckResult {
  readonly name: string;
  readonly status: "passed" | "failed" | "skipped";
  /** What was seen; for a failure, what differs from the documented deployment. */
  readonly detail: string;
}

export interface SteadyStateReport {
  readonly holds: boolean;
  readonly results: readonly CheckResult[];
  readonly durationMs: number;
}

const DEFAULT_TOLERANCE_MS = 45_000;

function check(
  name: string,
  observe: (stack: Stack) => Promise<Observation>,
  toleranceMs = DEFAULT_TOLERANCE_MS,
): SteadyStateCheck {
  return { name, toleranceMs, observe };
}

const unitActive = (unit: string) =>
  check(`unit ${unit} is active`, async (stack) => {
    const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    return { ok: state === "active", detail: `systemctl is-active ${unit}: ${state}` };
  });

/** `lsof -i :8000` must show the uvicorn of the sattva-backend unit, not docker-proxy or anything else. */
const port8000OwnedBySystemdBackend = check(
  ":8000 is owned by the systemd backend (uvicorn)",
  async (stack) => {
    const listeners = await listenersOn(stack.host, 8000);
    if (listeners.length === 0) return { ok: false, detail: "nothing listens on :8000" };
    const owners = await Promise.all(
      [...new Set(listeners.map((l) => l.pid))].map(async (pid) => {
        const info = await stack.host.run(`ps -o unit=,args= -p ${pid}`, { check: false });
        return info.stdout.trim();
      }),
    );
    const foreign = owners.filter((owner) => !/^sattva-backend\.service\s+.*uvicorn/.test(owner));
    const listens = describeListeners(listeners);
    return foreign.length === 0
      ? { ok: true, detail: `${owners.join("; ")} listening on ${listens}` }
      : {
          ok: false,
          detail: `:8000 is held by ${foreign.join("; ")} (expected the sattva-backend unit's uvicorn)`,
        };
  },
);

/** The runbook's own nginx-502 diagnosis: can nginx's container reach the backend on docker0? */
const backendReachableFromDocker = check(
  "the backend answers the frontend container at 172.17.0.1:8000",
  async (stack) => {
    const probe = await stack.run(
      "docker compose exec -T frontend wget -q -O- http://172.17.0.1:8000/health",
      {
        check: false,
      },
    );
    if (probe.exitCode === 0)
      return { ok: true, detail: `wget from the frontend container: ${probe.stdout.trim()}` };
    const addresses = describeListeners(await listenersOn(stack.host, 8000));
    return {
      ok: false,
      detail: `wget from the frontend container failed (${probe.stderr.trim() || `exit ${probe.exitCode}`}); :8000 listeners: ${addresses}`,
    };
  },
);

const frontendServesSpa = check(
  "frontend :3000 serves the SPA (with its client-side routes)",
  async (stack) => {
    const [root, deepRoute] = await Promise.all([
      httpGet(stack.host.url(3000, "/")),
      httpGet(stack.host.url(3000, "/some/client/route")),
    ]);
    if (root.status !== 200 || !root.contentType.includes("text/html")) {
      return { ok: false, detail: `GET / -> ${root.status} ${root.contentType}` };
    }
    return deepRoute.status === 200 && deepRoute.body === root.body
      ? { ok: true, detail: "GET / and /some/client/route -> 200 index.html" }
      : {
          ok: false,
          detail: `GET /some/client/route -> ${deepRoute.status}, not index.html (try_files fallback missing)`,
        };
  },
);

const nginxProxiesApi = check("nginx proxies /api/health to the backend: 200", async (stack) => {
  const response = await httpGet(stack.host.url(3000, "/api/health"));
  return {
    ok: response.status === 200,
    detail: `GET :3000/api/health -> ${response.status} ${response.body.slice(0, 200)}`,
  };
});

const postgresAnswers = check("PostgreSQL answers", async (stack) => {
  const ready = await stack.run("docker compose exec -T db pg_isready", { check: false });
  return { ok: ready.exitCode === 0, detail: `pg_isready: ${(ready.stdout + ready.stderr).trim()}` };
});

const redisAnswers = check("Redis answers", async (stack) => {
  const ping = await stack.run("docker compose exec -T redis redis-cli ping", { check: false });
  return {
    ok: ping.stdout.trim() === "PONG",
    detail: `redis-cli ping: ${(ping.stdout + ping.stderr).trim()}`,
  };
});

interface PrometheusTargets {
  data: {
    activeTargets: { labels: { job: string }; scrapeUrl: string; health: string; lastError: string }[];
  };
}

const prometheusTargetsUp = check(
  "Prometheus scrapes every target (backend and streamer on the host)",
  async (stack) => {
    const { json } = await httpGetJson(stack.host.url(9090, "/api/v1/targets"));
    const targets = (json as PrometheusTargets).data.activeTargets;
    const down = targets.filter((t) => t.health !== "up");
    const jobs = new Set(targets.map((t) => t.labels.job));
    const missing = ["sattva-backend", "sattva-streamer"].filter((job) => !jobs.has(job));
    if (missing.length > 0) return { ok: false, detail: `no scrape job for ${missing.join(", ")}` };
    return down.length === 0
      ? { ok: true, detail: `${targets.length} targets up` }
      : {
          ok: false,
          detail: down.map((t) => `${t.labels.job} ${t.scrapeUrl}: ${t.health} ${t.lastError}`).join("; "),
        };
  },
);

const alertmanagerHealthy = check("Alertmanager is healthy", async (stack) => {
  const response = await httpGet(stack.host.url(9093, "/-/healthy"));
  return { ok: response.status === 200, detail: `GET :9093/-/healthy -> ${response.status}` };
});

const grafanaHealthy = check("Grafana is healthy", async (stack) => {
  const skipped = stack.skipped.find((s) => s.service === "grafana");
  if (skipped !== undefined) return { skipped: skipped.reason };
  const response = await httpGet(stack.host.url(3001, "/api/health"));
  return { ok: response.status === 200, detail: `GET :3001/api/health -> ${response.status}` };
});

/** The next elapse as systemd prints it in UTC, e.g. "Fri 2026-11-27 04:00:00 UTC". */
const timerAt0400Utc = check("yt-dlp-update.timer is active and next runs at 04:00 UTC", async (stack) => {
  const show = await stack.host.run(
    "TZ=UTC systemctl show yt-dlp-update.timer -p ActiveState -p NextElapseUSecRealtime",
    { check: false },
  );
  const state = /ActiveState=(\S*)/.exec(show.stdout)?.[1] ?? "";
  const next = /NextElapseUSecRealtime=(.*)/.exec(show.stdout)?.[1]?.trim() ?? "";
  const ok = state === "active" && /\s04:00:00 UTC$/.test(next);
  return { ok, detail: `timer ${state || "missing"}, next run ${next || "not scheduled"}` };
});

/** Read straight from Redis, so a broken proxy in front of the backend does not hide the streamer. */
const streamerHeartbeat = check(
  "the streamer extracts media with yt-dlp and publishes a fresh heartbeat",
  async (stack) => {
    const heartbeat = await readHeartbeat(stack);
    if (heartbeat === undefined) return { ok: false, detail: "no heartbeat in Redis" };
    const error = heartbeat.error === null ? "" : ` (${heartbeat.error})`;
    return {
      ok: heartbeat.extraction === "ok" && heartbeat.ageSeconds < 30,
      detail: `yt-dlp ${heartbeat.yt_dlp_version}, extraction ${heartbeat.extraction}${error}, heartbeat ${heartbeat.ageSeconds.toFixed(0)}s old`,
    };
  },
);

/** The deployment as documented, one composable check per property. */
export const STEADY_STATE: readonly SteadyStateCheck[] = [
  unitActive("sattva-backend"),
  unitActive("sattva-streamer"),
  port8000OwnedBySystemdBackend,
  backendReachableFromDocker,
  frontendServesSpa,
  nginxProxiesApi,
  postgresAnswers,
  redisAnswers,
  prometheusTargetsUp,
  alertmanagerHealthy,
  grafanaHealthy,
  timerAt0400Utc,
  streamerHeartbeat,
];

async function runCheck(stack: Stack, steadyCheck: SteadyStateCheck, waitMs: number): Promise<CheckResult> {
  const seen: { last: Observation } = { last: { ok: false, detail: "not observed" } };
  const observe = async () => {
    try {
      seen.last = await steadyCheck.observe(stack);
    } catch (error) {
      seen.last = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const last = seen.last;
    return "ok" in last ? { ready: last.ok, detail: last.detail } : { ready: true, detail: last.skipped };
  };
  try {
    await until(steadyCheck.name, observe, 1_000).waitUntilReady(waitMs);
  } catch {
    // The last observation says what differs.
  }
  const last = seen.last;
  if ("skipped" in last) return { name: steadyCheck.name, status: "skipped", detail: last.skipped };
  return { name: steadyCheck.name, status: last.ok ? "passed" : "failed", detail: last.detail };
}

/**
 * Observes every check, in parallel. With `settle`, each may take up to its tolerance to hold (right
 * after a start or a recovery); without it, one look each (is the steady state holding right now?).
 */
export async function checkSteadyState(
  stack: Stack,
  options: { settle?: boolean; checks?: readonly SteadyStateCheck[] } = {},
): Promise<SteadyStateReport> {
  const started = performance.now();
  const checks = options.checks ?? STEADY_STATE;
  const results = await Promise.all(
    checks.map((c) => runCheck(stack, c, options.settle === true ? c.toleranceMs * stack.host.slowdown : 0)),
  );
  return {
    holds: results.every((r) => r.status !== "failed"),
    results,
    durationMs: Math.round(performance.now() - started),
  };
}

/** A readable summary: one line per check, failures first. */
export function describeSteadyState(report: SteadyStateReport): string {
  const order = { failed: 0, skipped: 1, passed: 2 } as const;
  return [...report.results]
    .sort((a, b) => order[a.status] - order[b.status])
    .map((r) => `${r.status.padEnd(7)} ${r.name}: ${r.detail}`)
    .join("\n");
}
