// Port 8000 conflict (runbook: "Что НЕ делать" and Troubleshooting "Конфликт порта 8000"): the compose
// file still defines `backend` on 8000:8000 while the real backend runs under systemd. Someone runs
// one of the forbidden commands, or the runbook's own full restart; this shows what really happens on
// the host, then runs the documented recovery verbatim: `lsof -i :8000`, `docker stop
// sattva-streamer-backend-1`, `systemctl restart sattva-backend`.
import {
  composeBackendState,
  composeBackendTakesPortFirst,
  composeCommandWhileSystemdRuns,
} from "../harness/chaos/faults/compose-backend.ts";
import { backendPortHeldByDocker, unitRestarted } from "../harness/chaos/symptoms.ts";
import type { ChaosRun } from "../harness/chaos/chaos-run.ts";
import { httpGet } from "../harness/probes/http.ts";
import { unitRestarts } from "../harness/probes/systemd.ts";
import { describe, expect, test } from "../harness/scenario/scenario-test.ts";

const PORT_ALREADY_TAKEN = /port is already allocated|address already in use/;

/** The runbook's recovery for the port-8000 conflict, verbatim. */
async function documentedRecovery(chaos: ChaosRun): Promise<string> {
  const lsof = await chaos.runbook("lsof -i :8000");
  await chaos.runbook("docker stop sattva-streamer-backend-1");
  await chaos.runbook("systemctl restart sattva-backend");
  await chaos.recovered();
  chaos.results["compose backend after the documented recovery"] = await composeBackendState(chaos.stack);
  return lsof.stdout;
}

describe("port 8000 conflict", () => {
  for (const command of [
    "docker compose up -d backend",
    "docker compose up -d",
    "docker compose down && docker compose up -d",
  ]) {
    test(`\`${command}\` while the systemd backend runs: compose cannot bind :8000, systemd keeps it`, async ({
      chaos,
    }) => {
      await chaos.baseline();
      const forbidden = composeCommandWhileSystemdRuns(command);
      await chaos.inject(forbidden);

      const said = forbidden.result();
      expect(said?.exitCode, "compose reports the failure").not.toBe(0);
      expect(`${said?.stdout ?? ""}${said?.stderr ?? ""}`).toMatch(PORT_ALREADY_TAKEN);
      expect(await composeBackendState(chaos.stack), "the container was created but never ran").toBe(
        "created",
      );
      chaos.results["compose said"] = PORT_ALREADY_TAKEN.exec(said?.stderr ?? "")?.[0];

      const owners = await documentedRecovery(chaos);
      expect(owners, "lsof shows the systemd backend still holding :8000").toMatch(/\(LISTEN\)/);
      expect(owners, "lsof shows no docker-proxy on :8000").not.toMatch(/^docker-pr/m);
    });
  }

  test("the compose backend holds :8000 first: the systemd backend crash-loops while nginx still answers", async ({
    chaos,
  }) => {
    await chaos.baseline();
    const restartsBefore = await unitRestarts(chaos.stack.host, chaos.stack.deployment.unitName("backend"));
    await chaos.inject(composeBackendTakesPortFirst);

    const detection = await chaos.detect([backendPortHeldByDocker]);
    expect(detection.seen).toBe(chaos.named("docker-proxy listens on :8000"));
    await chaos.detect([unitRestarted(chaos.stack.deployment.unitName("backend"), restartsBefore)], 60_000);
    chaos.mark(`${chaos.stack.deployment.unitName("backend")} crash-looping`);
    const journal = await chaos.stack.host.run(chaos.named("journalctl -u sattva-backend -n 50 --no-pager"));
    // uvicorn: "address already in use"; gunicorn: "[Errno 98] Address already in use".
    expect(journal.stdout, "the backend cannot bind").toMatch(/address already in use/i);
    // The silent part: through nginx the backend still answers, served by the container (whose own
    // compose environment decides how healthy it says it is), never a gateway error.
    const throughNginx = await httpGet(await chaos.stack.frontendUrl(chaos.named("/api/health")));
    chaos.results["nginx answered, from the compose backend"] =
      `${throughNginx.status} ${throughNginx.body.slice(0, 200)}`;
    expect([502, 504], "nginx still answers, from the compose backend").not.toContain(throughNginx.status);

    const owners = await documentedRecovery(chaos);
    expect(owners, "lsof shows docker-proxy on :8000, the cue for `docker stop`").toMatch(
      /^docker-pr.*\(LISTEN\)/m,
    );
  });
});
