// DB not ready (runbook, "Порядок запуска": `sleep 10` between compose and systemd): the backend meets
// a PostgreSQL that does not accept connections, at boot (enabled units start with the host while the
// database container is still coming up) and when the database restarts under it. The backend must
// answer 503 naming PostgreSQL, fail requests fast instead of hanging, and recover with no human
// touching it once the database is back, with every row written before the fault still there.
import { postgresLateAfterReboot, postgresStopped } from "../harness/chaos/faults/database.ts";
import { apiHealthStatus } from "../harness/chaos/symptoms.ts";
import { httpGetJson } from "../harness/probes/http.ts";
import { unitRestarts } from "../harness/probes/systemd.ts";
import { describe, expect, test } from "../harness/scenario/scenario-test.ts";

describe("db not ready", () => {
  test("host boots before PostgreSQL is ready: 503 naming postgres, fast failures, reconnect by itself", async ({
    chaos,
  }) => {
    await chaos.baseline();
    await chaos.inject(postgresLateAfterReboot);
    const host = chaos.stack.host;

    const detection = await chaos.detect([apiHealthStatus(503)]);
    expect(detection.seen).toBe("GET :3000/api/health -> 503");
    const { json: health } = await httpGetJson(host.url(3000, "/api/health"));
    const { status, checks } = health as { status: string; checks: { postgres: string; redis: string } };
    expect(status).toBe("degraded");
    expect(checks.postgres, "/health names PostgreSQL as down").toMatch(/^down: /);
    expect(checks.redis).toBe("ok");

    const write = await chaos.markers.attempt();
    chaos.results["write during the outage"] = `${write.status} in ${write.durationMs} ms`;
    expect(write.status, "a write during the outage fails cleanly").toBe(503);
    expect(write.body).toContain("postgres");

    const restartsBefore = await unitRestarts(host, "sattva-backend");
    // The slow database finally comes up; nobody touches the backend.
    await chaos.stack.run("docker compose start db");
    chaos.mark("PostgreSQL started");
    await chaos.recovered();
    expect(await unitRestarts(host, "sattva-backend"), "the backend reconnected without a restart").toBe(
      restartsBefore,
    );

    // The runbook's check after the start order, verbatim: both units running, the containers up.
    const units = await chaos.runbook("systemctl status sattva-backend sattva-streamer");
    expect(units.exitCode, units.stdout).toBe(0);
    expect(units.stdout.match(/Active: active \(running\)/g), "both units").toHaveLength(2);
    const containers = await chaos.runbook("docker ps");
    for (const name of ["db", "redis", "frontend"])
      expect(containers.stdout).toMatch(new RegExp(`sattva-streamer-${name}-1`));
  });

  test("PostgreSQL restarts under the running backend: fast 503s, then the backend reconnects", async ({
    chaos,
  }) => {
    await chaos.baseline();
    await chaos.inject(postgresStopped);

    await chaos.detect([apiHealthStatus(503)]);
    const write = await chaos.markers.attempt();
    chaos.results["write during the outage"] = `${write.status} in ${write.durationMs} ms`;
    expect(write.status, "a write during the outage fails cleanly").toBe(503);

    await chaos.stack.run("docker compose start db");
    chaos.mark("PostgreSQL started");
    await chaos.recovered();
  });
});
