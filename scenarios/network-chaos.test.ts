// Network chaos (not in the runbook yet): the connections between the services made slow, cut or reset
// with toxiproxy. The `network` fixture turns on chaos mode for this file: backend -> PostgreSQL,
// backend -> Redis, streamer -> Redis and nginx -> backend each go through a proxy of their own, so one
// link breaks while the rest stay healthy. Each fault is proven by a probe on the host (the added
// latency measured, no reply through the proxy, the connection reset) before anything is judged.
import { apiHealthStatus, metricIs } from "../harness/chaos/symptoms.ts";
import { auditExposure, describeAnswers } from "../harness/exposure/exposure-audit.ts";
import { renderFindingsText } from "../harness/findings/text.ts";
import { flapping, latency, partition, resetPeer } from "../harness/network/network-faults.ts";
import { readHeartbeat } from "../harness/probes/heartbeat.ts";
import { timedHttpGet } from "../harness/probes/http.ts";
import { unitMainPid, unitRestarts } from "../harness/probes/systemd.ts";
import { describeWrite } from "../harness/chaos/markers.ts";
import { describe, expect, test } from "../harness/scenario/scenario-test.ts";
import { until } from "../harness/waits/wait.ts";

describe("network chaos", () => {
  test("chaos mode opens nothing to outsiders: toxiproxy's API and proxies answer on the host's loopback only", async ({
    chaos,
    network,
  }) => {
    // It is there and working, seen from the host...
    expect((await network.proxies()).map((proxy) => proxy.name).sort()).toEqual([
      "backend-postgres",
      "backend-redis",
      "nginx-backend",
      "streamer-redis",
    ]);
    // ...and nothing of it answers anyone else (probed from another machine's network).
    const exposure = await auditExposure(chaos.stack);
    chaos.results["seen from outside in chaos mode"] = describeAnswers(exposure);
    const harness = exposure.findings.filter((finding) => finding.id === "exposure.harness-reachable");
    expect(harness, `the harness opened a way in:\n${renderFindingsText(harness)}`).toEqual([]);
  });

  test("PostgreSQL 2 s slower: /api/health fails fast with 503 naming postgres, no 504, no hang", async ({
    chaos,
    network,
  }) => {
    await chaos.baseline();
    await chaos.inject(latency(network, "backend-postgres", 2_000));

    await chaos.detect([apiHealthStatus(503)]);
    const health = await timedHttpGet(await chaos.stack.frontendUrl(chaos.named("/api/health")));
    chaos.results["/api/health during the latency (s)"] = health.seconds;
    expect(health.status, "the backend's 2 s dependency timeout answers before nginx's 60 s").toBe(503);
    expect(health.body, "/health names the database as what is down").toMatch(/postgres|database/i);
    // Redis is on another link: a backend that reports each dependency says it stays up.
    chaos.results["/api/health during the latency"] = health.body.slice(0, 300);

    const write = await chaos.markers.attempt();
    chaos.results["write during the latency"] = describeWrite(write);
    if (write !== undefined)
      expect(write.status, "a write fails cleanly rather than waiting on the slow database").toBe(503);

    await chaos.heal();
    await chaos.recovered();
  });

  test("backend answers later than nginx waits: nginx gives up with 504 after its proxy_read_timeout (60 s unless set)", async ({
    chaos,
    network,
  }) => {
    await chaos.baseline();
    // How long nginx waits for the backend's answer: the checkout's proxy_read_timeout for /api/, or
    // nginx's default of 60 s.
    const readTimeout = chaos.stack.deployment.apiReadTimeout;
    chaos.results["nginx's proxy_read_timeout (s)"] = readTimeout;
    // Every answer reaches nginx 5 s after that: a backend stuck on its requests. (Cutting the data
    // instead would not do: uvicorn closes the idle connection after 5 s, and nginx answers 502 at once.)
    await chaos.inject(latency(network, "nginx-backend", (readTimeout + 5) * 1000));

    const health = await timedHttpGet(
      await chaos.stack.frontendUrl(chaos.named("/api/health")),
      (readTimeout + 60) * 1000,
    );
    chaos.mark("nginx answered", `${health.status} after ${health.seconds} s`);
    chaos.results["nginx answered a hung backend after (s)"] = health.seconds;
    expect(health.status, "nginx times out the upstream instead of hanging").toBe(504);
    expect(health.seconds, "users wait as long as nginx's proxy_read_timeout").toBeGreaterThanOrEqual(
      readTimeout,
    );

    await chaos.heal();
    await chaos.recovered();
  });

  test("Redis resets the streamer's connections: heartbeats stop, and the streamer reconnects by itself", async ({
    chaos,
    network,
  }) => {
    chaos.requires("streamer-heartbeat", "the streamer's Redis heartbeat and its metrics");
    await chaos.baseline();
    await chaos.requiresRunning("streamer", "a running streamer connected to Redis");
    const host = chaos.stack.host;
    const pid = await unitMainPid(host, chaos.stack.deployment.unitName("streamer"));
    const restarts = await unitRestarts(host, chaos.stack.deployment.unitName("streamer"));
    await chaos.inject(resetPeer(network, "streamer-redis"));

    const detection = await chaos.detect([metricIs(9101, "sattva_streamer_redis_up", 0)]);
    expect(detection.seen).toMatch(/^sattva_streamer_redis_up 0/);

    await chaos.heal();
    const healedAt = Date.now() / 1000;
    // The streamer publishes every 5 s: a heartbeat newer than the heal is one sent over a new connection.
    await until(
      "a heartbeat published after Redis came back",
      async () => {
        const heartbeat = await readHeartbeat(chaos.stack);
        return {
          ready: heartbeat !== undefined && heartbeat.ts > healedAt,
          detail:
            heartbeat === undefined ? "no heartbeat" : `last one ${heartbeat.ageSeconds.toFixed(1)} s old`,
        };
      },
      500,
    ).waitUntilReady(60_000 * host.slowdown);
    chaos.mark("heartbeat published again");
    expect(
      await unitMainPid(host, chaos.stack.deployment.unitName("streamer")),
      "same process: it reconnected, nobody restarted it",
    ).toBe(pid);
    expect(await unitRestarts(host, chaos.stack.deployment.unitName("streamer"))).toBe(restarts);
    await chaos.recovered();
  });

  test("backend and PostgreSQL partitioned for 30 s: writes fail with 503, the alert fires, nothing is lost", async ({
    chaos,
    network,
  }) => {
    await chaos.baseline();
    await chaos.inject(partition(network, "backend-postgres"));
    const partitionedAt = performance.now();

    await chaos.detect([apiHealthStatus(503)]);
    const write = await chaos.markers.attempt();
    chaos.results["write during the partition"] = describeWrite(write);
    if (write !== undefined)
      expect(write.status, "a write fails cleanly, neither acknowledged nor hung").toBe(503);
    // Someone is paged, whatever the checkout's rules call it (BackendDependencyDown in the bundled stack).
    const alert = await chaos.anyAlert();
    expect(alert.timeToAlertMs, "an alert on the partition must reach the receiver").toBeDefined();

    await chaos.hold(30_000, partitionedAt, "the partition, as the test says");
    await chaos.heal();
    await chaos.recovered();
    chaos.results["recovered after the partition ended in (s)"] =
      (chaos.timeline.between("healed", "steady state back") ?? Number.NaN) / 1000;
  });

  test("nginx -> backend flapping every 2 s: requests fail with 502 or pass, none hang, all pass once it stops", async ({
    chaos,
    network,
  }) => {
    await chaos.baseline();
    await chaos.inject(flapping(network, "nginx-backend", 2_000));

    const statuses = new Map<number, number>();
    for (let i = 0; i < 20; i++) {
      const { status } = await timedHttpGet(await chaos.stack.frontendUrl(chaos.named("/api/health")));
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    chaos.results["statuses while flapping"] = [...statuses].map(([s, n]) => `${s}×${n}`).join(", ");
    expect([...statuses.keys()].sort(), "only answers and gateway errors, nothing else").toEqual([200, 502]);

    await chaos.heal();
    await chaos.recovered();
  });
});
