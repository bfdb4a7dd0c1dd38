// nginx 502 (runbook, Troubleshooting: "Nginx 502 Bad Gateway"): the backend behind nginx goes down.
// Three ways it happens in production: stopped by hand, crashed (kill -9), or listening on 127.0.0.1
// only (nginx runs in Docker and reaches the host at 172.17.0.1). In each case nginx answers 502, and
// the runbook's three diagnosis commands are run verbatim; their output tells the cases apart.
import { backendKilled, backendLoopbackOnly, backendStopped } from "../harness/chaos/faults/backend.ts";
import { apiHealthStatus } from "../harness/chaos/symptoms.ts";
import { unitRestarts } from "../harness/probes/systemd.ts";
import { describe, expect, test } from "../harness/scenario/scenario-test.ts";

/** The runbook's diagnosis for a 502, verbatim. */
const CHECK_BACKEND = "curl http://localhost:8000/health";
const NGINX_LOGS = "docker logs sattva-streamer-frontend-1";
const CHECK_FROM_CONTAINER =
  "docker exec sattva-streamer-frontend-1 wget -q -O- http://172.17.0.1:8000/health";

describe("nginx 502", () => {
  test("backend stopped: 502, BackendDown fires, diagnosis shows it down everywhere, a restart recovers", async ({
    chaos,
  }) => {
    await chaos.baseline();
    await chaos.inject(backendStopped);

    const detection = await chaos.detect([apiHealthStatus(502)]);
    expect(detection.seen).toBe("GET :3000/api/health -> 502");
    expect(
      (await chaos.alert("BackendDown")).timeToAlertMs,
      "BackendDown must reach the receiver",
    ).toBeDefined();

    const curl = await chaos.runbook(CHECK_BACKEND);
    expect(curl.exitCode, "curl on the host: connection refused").toBe(7);
    const logs = await chaos.runbook(NGINX_LOGS);
    expect(logs.stderr).toMatch(
      /connect\(\) failed \(111: Connection refused\) while connecting to upstream/,
    );
    const fromContainer = await chaos.runbook(CHECK_FROM_CONTAINER);
    expect(fromContainer.exitCode, "wget from nginx's container fails too").not.toBe(0);

    await chaos.runbook("systemctl restart sattva-backend");
    await chaos.recovered();
  });

  test("backend crashed (kill -9): 502 until systemd restarts it by itself (Restart=always, RestartSec=10)", async ({
    chaos,
  }) => {
    await chaos.baseline();
    const restartsBefore = await unitRestarts(chaos.stack.host, "sattva-backend");
    const crash = backendKilled();
    await chaos.inject(crash);

    const detection = await chaos.detect([apiHealthStatus(502)]);
    expect(detection.seen).toBe("GET :3000/api/health -> 502");
    const curl = await chaos.runbook(CHECK_BACKEND);
    expect(curl.exitCode, "curl on the host while systemd waits RestartSec").toBe(7);

    // No human step: systemd's own restart is the recovery under test.
    const recoveredIn = await chaos.recovered();
    const restartsAfter = await unitRestarts(chaos.stack.host, "sattva-backend");
    expect(restartsAfter, "systemd restarted the unit (NRestarts rose)").toBe(restartsBefore + 1);
    chaos.mark("sattva-backend restarted by systemd");
    chaos.results["recovered by systemd in (s)"] = recoveredIn / 1000;
    chaos.results["RestartSec floor (s)"] = 10;
    // BackendDown needs 10 s of failed scrapes; a crash systemd heals in ~10 s may never page anyone.
    chaos.results["BackendDown fired"] =
      (await chaos.alert("BackendDown", 1_000)).timeToAlertMs !== undefined;
  });

  test("backend on 127.0.0.1 only: curl on the host works, nginx's container cannot reach it", async ({
    chaos,
  }) => {
    await chaos.baseline();
    await chaos.inject(backendLoopbackOnly);

    const detection = await chaos.detect([apiHealthStatus(502)]);
    expect(detection.seen).toBe("GET :3000/api/health -> 502");

    const curl = await chaos.runbook(CHECK_BACKEND);
    expect(curl.exitCode, "curl on the host reaches the loopback backend").toBe(0);
    expect(curl.stdout).toContain('"status":"ok"');
    const fromContainer = await chaos.runbook(CHECK_FROM_CONTAINER);
    expect(fromContainer.exitCode, "wget from nginx's container is refused").not.toBe(0);

    // The runbook has no step for this; the fix is the unit's --host, which healing restores.
    await chaos.heal();
    await chaos.recovered();
  });
});
