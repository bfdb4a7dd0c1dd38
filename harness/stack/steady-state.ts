import path from "node:path";
import { postgresReady } from "../probes/postgres.ts";
import type { Redis } from "ioredis";
import { withRedis } from "../probes/redis.ts";
import { readHeartbeat } from "../probes/heartbeat.ts";
import { httpGet, httpGetJson } from "../probes/http.ts";
import { activeTargets, runningPrometheusConfig } from "../probes/prometheus.ts";
import { describeListeners, listenersOn } from "../probes/ports.ts";
import { until } from "../waits/wait.ts";
import { scrapeTargets } from "../audit/checks/monitoring.ts";
import { runningAlertmanagerConfig } from "../chaos/alerts.ts";
import { throughNginx, type RunbookService } from "../profile/profile.ts";
import { UNBUILT_VENV_MARKER, type Stack } from "./stack.ts";

/**
 * What one look at a part of the deployment saw. A `final` failure cannot change by waiting (a unit
 * stopped with nothing queued to start it, a timer's schedule): nobody waits out its tolerance.
 */
export type Observation =
  { readonly ok: boolean; readonly detail: string; readonly final?: boolean } | { readonly skipped: string };

/** One property of the documented deployment, observed on the running host. */
export interface SteadyStateCheck {
  /** What it checks, by this deployment's names (a unit, a port, a timer). */
  readonly name: (stack: Stack) => string;
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
  name: string | ((stack: Stack) => string),
  observe: (stack: Stack) => Promise<Observation>,
  toleranceMs = DEFAULT_TOLERANCE_MS,
): SteadyStateCheck {
  return { name: typeof name === "string" ? () => name : name, toleranceMs, observe };
}

/** A check that needs a part the checkout may not have: skipped, naming what is missing. */
const needs = (what: string | undefined, missing: string, observe: (name: string) => Promise<Observation>) =>
  what === undefined ? Promise.resolve<Observation>({ skipped: missing }) : observe(what);

/**
 * A check of a compose service playing a runbook part: skipped when the checkout has none; failed for
 * good, naming why, when the service is kept out of this host's `docker compose up` (no image offline,
 * a build that failed), since no wait brings it up and "connection refused" would not say why.
 */
const runs = (
  stack: Stack,
  role: RunbookService,
  missing: string,
  observe: (name: string) => Promise<Observation>,
): Promise<Observation> =>
  needs(stack.deployment.service(role), missing, (name) => {
    const skipped = stack.skipped.find((s) => s.service === name);
    return skipped === undefined
      ? observe(name)
      : Promise.resolve({
          ok: false,
          final: true,
          detail: `${name} is kept out of this host's \`docker compose up\` (${skipped.reason})`,
        });
  });

/** One `Key=value` line of `systemctl show` output ("" when it is absent). */
const showField = (show: string, key: string) =>
  new RegExp(`^${key}=(.*)$`, "m").exec(show)?.[1]?.trim() ?? "";

/**
 * A unit in a crash loop shows "active" between its restarts; one that has stayed up this long is not
 * restarting (the runbook's units restart after RestartSec=10 and fail within seconds when they fail).
 */
const STABLE_FOR_SECONDS = 5;

/** The one command whose output describeUnitRun and telegramNotHere read of a unit. */
const showUnitRun = (unit: string) =>
  `systemctl show ${unit} --timestamp=unix -p ActiveState -p SubState -p NRestarts -p ActiveEnterTimestamp -p Requires -p BindsTo -p PartOf; ` +
  `echo "Jobs=$(systemctl list-jobs --no-legend ${unit} | wc -l)"; echo "Now=$(date +%s)"`;

/** How long the unit has been in its present state at `nowSeconds` (showUnitRun's output). */
const secondsInState = (show: string, nowSeconds: number) =>
  Math.max(0, nowSeconds - Number(showField(show, "ActiveEnterTimestamp").replace(/^@/, "")));

/** The host's clock when showUnitRun ran. */
const nowOf = (show: string) => Number(showField(show, "Now") || "0");

/**
 * `systemctl show --timestamp=unix` of a unit, then the jobs queued for it (`Jobs=`) and the host's
 * clock in seconds (`Now=`), read in the same command.
 */
export function describeUnitRun(show: string, nowSeconds: number): Observation {
  const field = (key: string) => showField(show, key);
  const state = `${field("ActiveState") || "missing"} (${field("SubState") || "?"})`;
  const restarts = `${field("NRestarts") || "0"} automatic restart(s)`;
  if (field("ActiveState") !== "active" || field("SubState") !== "running") {
    // Stopped or failed with no job queued: systemd will not start it again by itself.
    const stopped = ["inactive", "failed", ""].includes(field("ActiveState")) && field("Jobs") === "0";
    // Services it lives and dies with: stopping one of them stopped it, and starting it again does not.
    const tied = ["Requires", "BindsTo", "PartOf"].flatMap((key) =>
      field(key)
        .split(/\s+/)
        .filter((other) => other.endsWith(".service"))
        .map((other) => `${key}=${other}`),
    );
    const ties =
      tied.length === 0
        ? ""
        : `; it is tied to another service (${tied.join(", ")}): systemd stops it with that one, and starting that one does not start it again`;
    return { ok: false, detail: `${state}, ${restarts}${stopped ? ties : ""}`, final: stopped };
  }
  const upSeconds = secondsInState(show, nowSeconds);
  const stable = upSeconds >= STABLE_FOR_SECONDS;
  const note = stable ? "" : ` (up less than ${STABLE_FOR_SECONDS} s: restarting?)`;
  return { ok: stable, detail: `${state} for ${upSeconds.toFixed(0)} s, ${restarts}${note}` };
}

/**
 * How long a streamer that needs Telegram may run without liveness before it is judged unable to run
 * on a test host: longer than the bundled heartbeat's period (30 s), so a slow first beat is waited for.
 */
const STUCK_AFTER_SECONDS = 40;

/** A line systemd itself logs for a unit (its start, stop and exit), not one of the unit's own. */
const SYSTEMD_LINE = /^(Started|Starting|Stopped|Stopping|Scheduled restart job) |\.service: /;

/**
 * Why a unit cannot run on a host the harness made, where one of its needs cannot be met: its venv,
 * which pip could not build from the checkout's requirements on the host's Python (no wheel for it, no
 * compiler), or Telegram (telegramNotHere). On a staging host every unit is judged as it runs.
 */
export async function cannotRunHere(stack: Stack, role: "backend" | "streamer"): Promise<string | undefined> {
  if (stack.host.provenance !== "made" || !stack.deployment.unitsPresent.has(role)) return undefined;
  return (await venvNotBuilt(stack, role)) ?? (await telegramNotHere(stack, role));
}

/** The unit's venv as provisioning left it when pip failed (UNBUILT_VENV_MARKER): pip's own last words. */
export async function venvNotBuilt(stack: Stack, role: "backend" | "streamer"): Promise<string | undefined> {
  const venv = role === "backend" ? stack.deployment.backendVenv : stack.deployment.streamerVenv;
  if (venv === undefined) return undefined;
  const dir = path.posix.join(stack.root, venv.dir);
  const marker = await stack.host.run(`cat ${dir}/${UNBUILT_VENV_MARKER} && python3 --version`, {
    check: false,
  });
  if (marker.exitCode !== 0) return undefined;
  const lines = marker.stdout.trim().split("\n");
  const python = lines.pop() ?? "python3";
  return (
    `${stack.deployment.unit(role)} cannot run here: pip could not build its venv ${dir} from ` +
    `${venv.requirements ?? "its requirements"} on this host's ${python} (${lines.join(" / ").slice(0, 400)})`
  );
}

/**
 * A unit that needs Telegram (its venv requires a Telegram client) on a host that has no Telegram
 * account (its credentials are test values) and reaches no Telegram server. Said only once the unit
 * has failed (restarted, or failed for good), or, for the streamer, once it has run a while and still
 * shows no liveness (a client retrying a server it cannot reach), with the last line it logged: a unit
 * that needs Telegram and runs anyway is judged like any other.
 */
async function telegramNotHere(stack: Stack, role: "backend" | "streamer"): Promise<string | undefined> {
  const client = stack.deployment.telegramClients.get(role);
  if (client === undefined) return undefined;
  const unit = stack.deployment.unit(role);
  const [show, journal] = await Promise.all([
    stack.host.run(showUnitRun(unit), { check: false }),
    stack.host.run(`journalctl -u ${unit} -o cat --no-pager -n 50`, { check: false }),
  ]);
  const field = (key: string) => showField(show.stdout, key);
  const restarts = Number(field("NRestarts") || "0");
  // Its journal too: a restart by hand (the update script's) sets NRestarts back to 0, and the unit is
  // then "activating" again on its way to the same failure.
  const failedHere = /: (Main process exited, code=\w+, status=(?!0\/)|Failed with result )/.test(
    journal.stdout,
  );
  let stuck = "";
  if (
    restarts === 0 &&
    !failedHere &&
    field("ActiveState") !== "failed" &&
    field("SubState") !== "auto-restart"
  ) {
    const upSeconds = secondsInState(show.stdout, nowOf(show.stdout));
    if (role !== "streamer" || field("ActiveState") !== "active" || !(upSeconds >= STUCK_AFTER_SECONDS))
      return undefined;
    const alive = await streamerLiveness(stack);
    if (!("ok" in alive) || alive.ok) return undefined;
    stuck = ` for ${upSeconds.toFixed(0)} s with no liveness (${alive.detail})`;
  }
  const lastWords = journal.stdout
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !SYSTEMD_LINE.test(line))
    .at(-1);
  return (
    `${unit} needs Telegram (${client}), and a test host has no Telegram account and reaches no Telegram server: ` +
    `it cannot run here (${field("ActiveState")} (${field("SubState")})${stuck}, ${restarts} restart(s)${lastWords === undefined ? "" : `; last logged: ${stack.deployment.redact(lastWords).slice(0, 200)}`})`
  );
}

/** The backend and streamer units (`sattva-streamer.service`) that cannot run on this host, each with why (cannotRunHere). */
export async function unitsNotRunningHere(stack: Stack): Promise<ReadonlyMap<string, string>> {
  const roles = (["backend", "streamer"] as const).filter((r) => stack.deployment.unitsPresent.has(r));
  const reasons = await Promise.all(roles.map((role) => cannotRunHere(stack, role)));
  return new Map(
    roles.flatMap((role, i) =>
      reasons[i] === undefined ? [] : [[stack.deployment.unit(role), reasons[i]] as const],
    ),
  );
}

/** A failed look at a part of a unit that cannot run here is no failure of the deployment: skipped, saying why. */
async function unlessCannotRunHere(
  stack: Stack,
  role: "backend" | "streamer",
  observation: Observation,
): Promise<Observation> {
  if ("skipped" in observation || observation.ok) return observation;
  const reason = await cannotRunHere(stack, role);
  return reason === undefined ? observation : { skipped: reason };
}

const unitActive = (role: "backend" | "streamer") =>
  check(
    (stack) => `unit ${stack.deployment.unit(role).replace(/\.service$/, "")} is active and not restarting`,
    (stack) =>
      needs(
        stack.deployment.unitsPresent.has(role) ? stack.deployment.unit(role) : undefined,
        `the checkout has no ${role} unit (${stack.deployment.unit(role)})`,
        async (unit) => {
          const show = await stack.host.run(showUnitRun(unit), { check: false });
          const seen = describeUnitRun(show.stdout, nowOf(show.stdout));
          return unlessCannotRunHere(stack, role, seen);
        },
      ),
  );

/** `lsof -i :8000` must show the backend unit's own process, not docker-proxy or anything else. */
const portOwnedBySystemdBackend = check(
  (stack) =>
    `:${stack.deployment.profile.backend.port} is owned by the systemd backend (${stack.deployment.unit("backend")})`,
  async (stack) => {
    const port = stack.deployment.profile.backend.port;
    const unit = stack.deployment.unit("backend");
    const listeners = await listenersOn(stack.host, port);
    if (listeners.length === 0) return { ok: false, detail: `nothing listens on :${port}` };
    const owners = await Promise.all(
      [...new Set(listeners.map((l) => l.pid))].map(async (pid) => {
        const info = await stack.host.run(`ps -o unit=,args= -p ${pid}`, { check: false });
        return info.stdout.trim();
      }),
    );
    const foreign = owners.filter((owner) => !owner.startsWith(`${unit} `));
    const listens = describeListeners(listeners);
    return foreign.length === 0
      ? { ok: true, detail: `${owners.join("; ")} listening on ${listens}` }
      : {
          ok: false,
          detail: `:${port} is held by ${foreign.join("; ")} (expected the ${unit} unit's own process)`,
        };
  },
);

/** The runbook's own nginx-502 diagnosis: can nginx's container reach the backend on docker0? */
const backendReachableFromDocker = check(
  (stack) =>
    `the backend answers the frontend container at 172.17.0.1:${stack.deployment.profile.backend.port}`,
  (stack) =>
    runs(stack, "frontend", "the checkout deploys no frontend", async (frontend) => {
      const { port, health } = stack.deployment.profile.backend;
      // Not -q: GNU wget then says why it failed (refused, no route, timed out), as busybox's always
      // does. -T bounds each attempt (GNU wget retries a read error up to 20 times by default).
      const probe = await stack.compose(
        `exec -T ${frontend} wget -T 5 -O- http://172.17.0.1:${port}${health[0] ?? "/health"}`,
        { check: false, timeoutMs: 30_000 },
      );
      if (probe.exitCode === 0)
        return { ok: true, detail: `wget from the frontend container: ${probe.stdout.trim()}` };
      const said = probe.stderr.trim().split("\n").at(-1)?.trim();
      const addresses = describeListeners(await listenersOn(stack.host, port));
      return {
        ok: false,
        detail: `wget from the frontend container failed (exit ${probe.exitCode}${said ? `: ${said}` : ""}); :${port} listeners: ${addresses}`,
      };
    }),
);

const frontendServesSpa = check(
  (stack) => `frontend :${stack.deployment.frontend.port} serves the SPA (with its client-side routes)`,
  (stack) => runs(stack, "frontend", "the checkout deploys no frontend", () => spaServed(stack)),
);

async function spaServed(stack: Stack): Promise<Observation> {
  const spa = stack.deployment.spaSource;
  // A build output nobody commits (made on the server by hand or by CI): nothing to serve here, said.
  if (spa?.present === false)
    return {
      skipped: `the checkout has nothing in ${spa.dir}, the folder nginx serves the SPA from (built on the server, not committed): no SPA to serve on this host`,
    };
  const [root, deepRoute] = await Promise.all([
    httpGet(await stack.frontendUrl("/")),
    httpGet(await stack.frontendUrl("/some/client/route")),
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
}

/** Every health endpoint the profile names, through nginx as users reach it. */
const nginxProxiesApi = check(
  (stack) =>
    `nginx proxies ${stack.deployment.profile.backend.health.map(throughNginx).join(", ")} to the backend: 200`,
  (stack) => runs(stack, "frontend", "the checkout deploys no frontend", () => apiProxied(stack)),
);

async function apiProxied(stack: Stack): Promise<Observation> {
  const answers = await Promise.all(
    stack.deployment.profile.backend.health.map(async (health) => {
      const response = await httpGet(await stack.frontendUrl(throughNginx(health)));
      return {
        ok: response.status === 200,
        detail: `GET :${stack.deployment.frontend.port}${throughNginx(health)} -> ${response.status} ${response.body.slice(0, 200)}`,
      };
    }),
  );
  return { ok: answers.every((a) => a.ok), detail: answers.map((a) => a.detail).join("; ") };
}

// Both reached as the services on the host reach them: through the published port (pg, ioredis).
const postgresAnswers = check("PostgreSQL answers", (stack) =>
  runs(stack, "db", "the checkout deploys no PostgreSQL", () => postgresReady(stack)),
);

const redisAnswers = check("Redis answers", (stack) =>
  runs(stack, "redis", "the checkout deploys no Redis", () =>
    // A reply at all is PONG (anything else is an error: not ok, with its message).
    lookInRedis(stack, async (redis, where) => ({
      ok: true,
      detail: `PING to ${where}: ${await redis.ping()}`,
    })),
  ),
);

/** A look through Redis: a connection or command that fails is a failed look, saying why. */
async function lookInRedis(
  stack: Stack,
  look: (redis: Redis, where: string) => Promise<{ ok: boolean; detail: string }>,
): Promise<{ ok: boolean; detail: string }> {
  try {
    return await withRedis(stack, look);
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}

/** Every target Prometheus has is up, and the profile's backend and streamer jobs are among them. */
const prometheusTargetsUp = check(
  "Prometheus scrapes every target (backend and streamer on the host)",
  (stack) =>
    runs(stack, "prometheus", "the checkout deploys no Prometheus", async () => {
      const targets = await activeTargets(stack);
      const configured = scrapeTargets(await runningPrometheusConfig(stack));
      const jobs = new Set(configured.jobs);
      // Targets appear a moment after Prometheus starts: a job it runs with none yet is not scraped yet.
      const staticJobs = new Set(configured.targets.map((t) => t.job));
      const pending = [...staticJobs].filter((job) => !targets.some((t) => t.labels.job === job));
      if (pending.length > 0)
        return { ok: false, detail: `Prometheus has no target yet for job ${pending.join(", ")}` };
      // The runbook says nothing of what Prometheus scrapes: a role no job watches is a finding of the
      // static audit (prometheus.targets), not an outage.
      const notHere = (["backend", "streamer"] as const)
        .map((role) => [role, stack.deployment.profile.prometheus.jobs[role]] as const)
        .filter(([, job]) => !jobs.has(job))
        .map(([role, job]) => `no job scrapes the ${role} (${job})`);
      // A target that answers without metrics (no such path, or credentials the job lacks) was never
      // scraped on this checkout: drift, not an outage. A refused or timed-out scrape is an outage.
      const answersWithoutMetrics = (t: (typeof targets)[number]) =>
        /server returned HTTP status (401|403|404)\b/.test(t.lastError);
      let down = targets.filter((t) => t.health !== "up");
      for (const target of down.filter(answersWithoutMetrics))
        notHere.push(`job ${target.labels.job} not counted: ${target.scrapeUrl} ${target.lastError}`);
      down = down.filter((t) => !answersWithoutMetrics(t));
      // The job of a unit that cannot run here is down for that reason, said once by the unit's check.
      for (const role of ["backend", "streamer"] as const) {
        const job = stack.deployment.profile.prometheus.jobs[role];
        if (down.some((t) => t.labels.job === job) && (await cannotRunHere(stack, role)) !== undefined) {
          down = down.filter((t) => t.labels.job !== job);
          notHere.push(`job ${job} not counted: ${stack.deployment.unitName(role)} cannot run here`);
        }
      }
      return down.length === 0
        ? {
            ok: true,
            detail: [`${targets.filter((t) => t.health === "up").length} targets up`, ...notHere].join("; "),
          }
        : {
            ok: false,
            detail: down.map((t) => `${t.labels.job} ${t.scrapeUrl}: ${t.health} ${t.lastError}`).join("; "),
          };
    }),
);

const alertmanagerHealthy = check("Alertmanager is healthy", (stack) =>
  runs(stack, "alertmanager", "the checkout deploys no Alertmanager", async () => {
    const response = await httpGet(await stack.serviceUrl("alertmanager", 9093, "/-/healthy"));
    return { ok: response.status === 200, detail: `GET :9093/-/healthy -> ${response.status}` };
  }),
);

/** Alertmanager's running configuration routes alerts to a receiver that has somewhere to send them. */
const alertmanagerRoutes = check("Alertmanager routes alerts to a receiver that reaches someone", (stack) =>
  runs(stack, "alertmanager", "the checkout deploys no Alertmanager", async () => {
    const config = await runningAlertmanagerConfig(stack);
    const receiver = config.topReceiver;
    const sinks = config.sinksOf(receiver);
    return sinks.length > 0
      ? { ok: true, detail: `route -> ${receiver}: ${sinks.join(", ")}` }
      : {
          ok: false,
          detail: `the top route sends alerts to ${receiver || "no receiver"}, which has nowhere to send them`,
        };
  }),
);

const grafanaHealthy = check("Grafana is healthy", (stack) =>
  needs(stack.deployment.service("grafana"), "the checkout deploys no Grafana", async (grafana) => {
    const skipped = stack.skipped.find((s) => s.service === grafana);
    if (skipped !== undefined) return { skipped: skipped.reason };
    const response = await httpGet(await stack.serviceUrl("grafana", 3000, "/api/health"));
    return { ok: response.status === 200, detail: `GET :3001/api/health -> ${response.status}` };
  }),
);

/** The next elapse as systemd prints it in UTC, e.g. "Fri 2026-11-27 04:00:00 UTC". */
const timerAt0400Utc = check(
  (stack) => `${stack.deployment.unit("timer")} is active and next runs at 04:00 UTC`,
  (stack) =>
    needs(
      stack.deployment.unitsPresent.has("timer") ? stack.deployment.unit("timer") : undefined,
      `the checkout has no update timer (${stack.deployment.unit("timer")})`,
      async (timer) => {
        const show = await stack.host.run(
          `TZ=UTC systemctl show ${timer} -p ActiveState -p NextElapseUSecRealtime`,
          {
            check: false,
          },
        );
        const state = showField(show.stdout, "ActiveState");
        const next = showField(show.stdout, "NextElapseUSecRealtime");
        const ok = state === "active" && /\s04:00:00 UTC$/.test(next);
        // An active timer keeps its schedule: waiting does not move it to 04:00.
        return {
          ok,
          detail: `timer ${state || "missing"}, next run ${next || "not scheduled"}`,
          final: state === "active" && next !== "",
        };
      },
    ),
);

/** The streamer is alive by the signal its profile names: a metric, a command, a log line or a Redis key. */
const streamerAlive = check("the streamer is alive (its profile's liveness signal)", async (stack) =>
  unlessCannotRunHere(stack, "streamer", await streamerLiveness(stack)),
);

async function streamerLiveness(stack: Stack): Promise<Observation> {
  const liveness = stack.deployment.profile.streamer.liveness;
  if (liveness === undefined)
    return { skipped: "the profile names no liveness signal for the streamer (streamer.liveness)" };
  switch (liveness.kind) {
    case "metric": {
      const { json } = await httpGetJson(
        await stack.serviceUrl(
          "prometheus",
          9090,
          `/api/v1/query?query=${encodeURIComponent(liveness.query)}`,
        ),
      );
      const result = (json as { data?: { result?: { value: [number, string] }[] } }).data?.result ?? [];
      const values = result.map((r) => Number(r.value[1]));
      return {
        ok: values.some((v) => v > 0),
        detail: `${liveness.query} -> ${values.length === 0 ? "no series" : values.join(", ")}`,
      };
    }
    case "command": {
      const run = await stack.host.run(liveness.command, { check: false });
      return {
        ok: run.exitCode === 0,
        detail: `${liveness.command}: exit ${run.exitCode} ${(run.stdout + run.stderr).trim().slice(0, 200)}`,
      };
    }
    case "log": {
      const unit = stack.deployment.unit("streamer");
      const log = await stack.host.run(
        `journalctl -u ${unit} --no-pager -o cat --since -${liveness.withinSeconds}s`,
        { check: false },
      );
      const line = log.stdout.split("\n").find((l) => new RegExp(liveness.pattern).test(l));
      return {
        ok: line !== undefined,
        detail:
          line ?? `no line of ${unit} in the last ${liveness.withinSeconds} s matches /${liveness.pattern}/`,
      };
    }
    case "redis-key": {
      if (stack.deployment.service("redis") === undefined)
        return { ok: false, detail: "the liveness signal is a Redis key, but the checkout deploys no Redis" };
      return lookInRedis(stack, async (redis, where) => {
        // OBJECT IDLETIME: seconds since the key was last written or read; null when there is none.
        const seconds = await redis.object("IDLETIME", liveness.key);
        if (typeof seconds !== "number") return { ok: false, detail: `${where} has no key ${liveness.key}` };
        return {
          ok: seconds <= liveness.maxAgeSeconds,
          detail: `${liveness.key} last written ${seconds} s ago (at most ${liveness.maxAgeSeconds} s)`,
        };
      });
    }
  }
}

/** Read straight from Redis, so a broken proxy in front of the backend does not hide the streamer. */
const streamerHeartbeat = check(
  "the streamer extracts media with yt-dlp and publishes a fresh heartbeat",
  async (stack) => {
    if (!stack.deployment.profile.capabilities.includes("streamer-heartbeat"))
      return { skipped: "the profile declares no streamer-heartbeat capability" };
    const heartbeat = await readHeartbeat(stack);
    if (heartbeat === undefined)
      return unlessCannotRunHere(stack, "streamer", { ok: false, detail: "no heartbeat in Redis" });
    const error = heartbeat.error === null ? "" : ` (${heartbeat.error})`;
    return unlessCannotRunHere(stack, "streamer", {
      ok: heartbeat.extraction === "ok" && heartbeat.ageSeconds < 30,
      detail: `yt-dlp ${heartbeat.yt_dlp_version}, extraction ${heartbeat.extraction}${error}, heartbeat ${heartbeat.ageSeconds.toFixed(0)}s old`,
    });
  },
);

/** What the runbook promises of the deployment, by this checkout's names, one composable check per property. */
export const STEADY_STATE: readonly SteadyStateCheck[] = [
  unitActive("backend"),
  unitActive("streamer"),
  portOwnedBySystemdBackend,
  backendReachableFromDocker,
  frontendServesSpa,
  nginxProxiesApi,
  postgresAnswers,
  redisAnswers,
  prometheusTargetsUp,
  alertmanagerHealthy,
  alertmanagerRoutes,
  grafanaHealthy,
  timerAt0400Utc,
  streamerAlive,
  streamerHeartbeat,
];

/** Set when one check has failed for good: with fail-fast settling, the others stop waiting. */
interface GiveUp {
  reason?: string;
}

async function runCheck(
  stack: Stack,
  steadyCheck: SteadyStateCheck,
  waitMs: number,
  giveUp: GiveUp | undefined,
): Promise<CheckResult> {
  const name = steadyCheck.name(stack);
  const seen: { last: Observation } = { last: { ok: false, detail: "not observed" } };
  let gaveUpOn: string | undefined;
  const observe = async () => {
    try {
      seen.last = await steadyCheck.observe(stack);
    } catch (error) {
      seen.last = { ok: false, detail: error instanceof Error ? error.message : String(error) };
    }
    const last = seen.last;
    if ("skipped" in last || last.ok) return { ready: true, detail: "" };
    if (last.final === true) {
      if (giveUp !== undefined) giveUp.reason ??= name;
      return { ready: true, detail: last.detail };
    }
    gaveUpOn = giveUp?.reason;
    return { ready: gaveUpOn !== undefined, detail: last.detail };
  };
  try {
    await until(name, observe, 1_000).waitUntilReady(waitMs);
  } catch {
    // The last observation says what differs.
  }
  const last = seen.last;
  if ("skipped" in last) return { name, status: "skipped", detail: last.skipped };
  if (last.ok) return { name, status: "passed", detail: last.detail };
  const stopped = gaveUpOn === undefined ? "" : ` (still settling when "${gaveUpOn}" failed for good)`;
  return { name, status: "failed", detail: `${last.detail}${stopped}` };
}

/**
 * Observes every check, in parallel. With `settle`, each may take up to its tolerance to hold (right
 * after a start or a recovery); without it, one look each (is the steady state holding right now?).
 * With `failFast` as well, a check that fails for good ends the others' waits: the steady state
 * cannot hold, and a baseline or a recovery need not wait out every tolerance to say so (smoke, which
 * reports every check, does not use it).
 */
export async function checkSteadyState(
  stack: Stack,
  options: { settle?: boolean; failFast?: boolean; checks?: readonly SteadyStateCheck[] } = {},
): Promise<SteadyStateReport> {
  const started = performance.now();
  const checks = options.checks ?? STEADY_STATE;
  const giveUp: GiveUp | undefined = options.failFast === true ? {} : undefined;
  const results = await Promise.all(
    checks.map((c) =>
      runCheck(stack, c, options.settle === true ? c.toleranceMs * stack.host.slowdown : 0, giveUp),
    ),
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
