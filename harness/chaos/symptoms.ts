import { readHeartbeat } from "../probes/heartbeat.ts";
import { httpGet } from "../probes/http.ts";
import { listenersOn } from "../probes/ports.ts";
import { unitRestarts } from "../probes/systemd.ts";
import type { Symptom } from "./fault.ts";

/** nginx answers the backend's health endpoint (/api/health in the runbook) with exactly this status. */
export function apiHealthStatus(status: number): Symptom {
  return {
    name: `GET :3000/api/health answers ${status}`,
    async observe(stack) {
      const health = stack.terms.translate("/api/health").text;
      const response = await httpGet(await stack.frontendUrl(health));
      const seen = `GET :${stack.deployment.frontend.port}${health} -> ${response.status}`;
      if (response.status === status) return { shows: true, seen };
      // What came instead, with the start of its body (nginx's error page, the backend's JSON).
      const body = response.body.replace(/\s+/g, " ").trim().slice(0, 120);
      return { shows: false, seen: body === "" ? seen : `${seen} ${body}` };
    },
  };
}

/** A systemd unit is not active. */
export function unitNotActive(unit: string): Symptom {
  return {
    name: `${unit} not active`,
    async observe(stack) {
      const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
      return { shows: state !== "active", seen: `systemctl is-active ${unit}: ${state}` };
    },
  };
}

/** docker-proxy listens on the backend's port (8000 in the runbook), where the systemd backend should. */
export const backendPortHeldByDocker: Symptom = {
  name: "the backend's port held by docker-proxy",
  async observe(stack) {
    const port = stack.deployment.profile.backend.port;
    const owners = await listenersOn(stack.host, port);
    return owners.some((l) => l.command === "docker-proxy")
      ? { shows: true, seen: `docker-proxy listens on :${port}` }
      : { shows: false, seen: `:${port} held by ${owners.map((l) => l.command).join(", ") || "nothing"}` };
  },
};

/** systemd has restarted a unit at least `count` more times than `baseline`. */
export function unitRestarted(unit: string, baseline: number, count = 1): Symptom {
  return {
    name: `${unit} restarted by systemd (NRestarts > ${baseline})`,
    async observe(stack) {
      const restarts = await unitRestarts(stack.host, unit);
      return { shows: restarts >= baseline + count, seen: `NRestarts=${restarts}` };
    },
  };
}

/** The streamer's heartbeat reports a failed yt-dlp extraction. */
export const extractionFailing: Symptom = {
  name: "the streamer's extraction fails",
  async observe(stack) {
    const heartbeat = await readHeartbeat(stack);
    if (heartbeat === undefined) return { shows: false, seen: "no streamer heartbeat" };
    if (heartbeat.extraction === "error" && heartbeat.ageSeconds < 30)
      return { shows: true, seen: `yt-dlp ${heartbeat.yt_dlp_version}: ${heartbeat.error ?? "error"}` };
    return {
      shows: false,
      seen: `yt-dlp ${heartbeat.yt_dlp_version}: extraction ${heartbeat.extraction}, ${Math.round(heartbeat.ageSeconds)} s ago`,
    };
  },
};

/** A Prometheus metric served on the host at :port/metrics has this value (read on the host, unlabelled). */
export function metricIs(port: number, metric: string, value: number): Symptom {
  return {
    name: `${metric} is ${value} on :${port}/metrics`,
    async observe(stack) {
      const metrics = await stack.host.run(`curl -fsS -m 5 http://127.0.0.1:${port}/metrics`, {
        check: false,
      });
      const line = metrics.stdout.split("\n").find((l) => l.startsWith(`${metric} `));
      return {
        shows: line !== undefined && Number(line.split(" ")[1]) === value,
        seen:
          line ??
          `no ${metric} on :${port}/metrics${metrics.exitCode === 0 ? "" : ` (${metrics.stderr.trim()})`}`,
      };
    },
  };
}
