// Firewall (not in the runbook): the runbook binds the backend to 0.0.0.0:8000 and publishes Docker's
// ports, and gives no firewall. An operator does what is common on a VPS: UFW, deny incoming, allow SSH
// and the public web port. These rules are the scenario's (its journal names them). What answers from
// outside is probed from another machine's network (the exposure audit), never through the harness's
// forwards.
import { auditExposure, describeAnswers, type ExposureReport } from "../harness/exposure/exposure-audit.ts";
import { closeToOutsiders } from "../harness/exposure/close-to-outsiders.ts";
import { stackSubnets, ufwAllowFrom, ufwAsOnAVps } from "../harness/chaos/faults/firewall.ts";
import { renderFindingsText } from "../harness/findings/text.ts";
import { httpGet, timedHttpGet } from "../harness/probes/http.ts";
import { checkSteadyState, describeSteadyState } from "../harness/stack/steady-state.ts";
import { describe, expect, test } from "../harness/scenario/scenario-test.ts";
import type { Stack } from "../harness/stack/stack.ts";
import { until } from "../harness/waits/wait.ts";

/** SSH and the public web port (the frontend's: the runbook's 3000, or where the checkout publishes it), as a VPS guide opens them. */
const opened = (stack: Stack) => ["22/tcp", `${stack.deployment.frontend.port}/tcp`];

const answers = (exposure: ExposureReport, port: number) =>
  exposure.answers.find((answer) => answer.port === port)?.answered ?? false;

/** Published ports other than the frontend's: what outsiders should not reach. */
const notFrontend = (exposure: ExposureReport) =>
  [...exposure.published].filter(([, service]) => service !== "frontend").map(([port]) => port);

describe("host firewall", () => {
  test("UFW as on a VPS: the backend closes to outsiders, Docker's published ports do not; nginx, Prometheus and Alertmanager lose the host until the stack's networks are allowed", async ({
    chaos,
  }) => {
    await chaos.baseline();
    const backendPort = chaos.stack.deployment.profile.backend.port;
    const before = await auditExposure(chaos.stack);
    chaos.results["seen from outside before"] = describeAnswers(before);
    await chaos.inject(ufwAsOnAVps(opened(chaos.stack)));
    // A user's request through nginx, asked now: what it gets (below) takes nginx's own timeout.
    const userRequest = timedHttpGet(await chaos.stack.frontendUrl(chaos.named("/api/health")));
    // Awaited below; a failed check before that must not leave its outcome unhandled.
    userRequest.catch(() => undefined);

    const after = await auditExposure(chaos.stack);
    chaos.results["seen from outside with UFW on"] = describeAnswers(after);
    expect(answers(after, chaos.stack.deployment.frontend.port), "the web port UFW allows").toBe(true);
    expect(answers(after, backendPort), "the backend, a host process, is behind UFW").toBe(false);
    // Docker's own chains forward published ports before UFW's INPUT rules see them (moby#22054). A
    // checkout that publishes nothing beyond the frontend to outsiders has nothing UFW misses.
    const published = notFrontend(before).filter((port) => answers(before, port));
    chaos.results["published to outsiders beyond the frontend"] =
      published.map((port) => `:${port}`).join(", ") || "none";
    for (const port of published)
      expect(answers(after, port), `:${port} answers past UFW: Docker publishes it`).toBe(true);

    // nginx, on the compose network, reaches the backend at 172.17.0.1:8000: the host's INPUT, where
    // UFW drops it. nginx waits for its connect timeout (60 s by default), then answers 504: a failure
    // the runbook lacks. Prometheus's scrapes of the units and Alertmanager's webhook go the same way.
    // (A frontend on the host's network reaches the backend on loopback, which UFW lets through.)
    const frontend = chaos.stack.deployment.service("frontend") ?? "frontend";
    const runbookPath = await chaos.stack.compose(
      `exec -T ${frontend} timeout 5 wget -q -O- ${chaos.named("http://172.17.0.1:8000/health")}`,
      { check: false },
    );
    const reachesHost = runbookPath.exitCode === 0;
    chaos.results["the frontend container reaches the backend through UFW"] = reachesHost;
    const health = await userRequest;
    chaos.mark("nginx answered", `${health.status} after ${health.seconds} s`);
    // An nginx keeping upstream connections alive answers on one opened before UFW (its state is
    // ESTABLISHED, which UFW lets through): the 504 waits for the next new connection.
    chaos.results["/api/health with UFW on"] =
      `${health.status} after ${health.seconds} s` +
      (health.status === 200 && !reachesHost
        ? " (on a connection nginx kept alive from before UFW; new ones are dropped)"
        : "");
    if (!reachesHost || health.status !== 200) {
      // The fix: allow the stack's own Docker networks to the host; the backend stays closed to outsiders.
      const fixes: string[] = [];
      for (const subnet of await stackSubnets(chaos.stack))
        fixes.push(await ufwAllowFrom(chaos.stack.host, subnet));
      chaos.results["fix"] = fixes.join("; ");
      await until(chaos.named("GET :3000/api/health to answer 200 again"), async () => {
        const response = await httpGet(await chaos.stack.frontendUrl(chaos.named("/api/health")));
        return { ready: response.status === 200, detail: `${response.status}` };
      }).waitUntilReady(30_000);
    }
    const steady = await checkSteadyState(chaos.stack, { settle: true });
    expect(steady.holds, `with UFW on (and the fix):\n${describeSteadyState(steady)}`).toBe(true);
    const fixed = await auditExposure(chaos.stack);
    chaos.results["seen from outside after the fix"] = describeAnswers(fixed);
    expect(answers(fixed, backendPort), "still closed to outsiders").toBe(false);

    await chaos.heal();
    await chaos.recovered();
  });

  test("DOCKER-USER rules close what UFW cannot: outsiders reach the web port only, and the stack keeps working", async ({
    chaos,
  }) => {
    await chaos.baseline();
    const before = await auditExposure(chaos.stack);
    chaos.results["seen from outside before"] = describeAnswers(before);
    chaos.results["blockers before"] = before.findings.filter((f) => f.severity === "blocker").length;

    await chaos.inject(ufwAsOnAVps(opened(chaos.stack)));
    for (const subnet of await stackSubnets(chaos.stack)) await ufwAllowFrom(chaos.stack.host, subnet);
    const rules = await closeToOutsiders(chaos.stack.host, {
      address: before.address,
      hostPorts: [],
      publishedPorts: notFrontend(before),
      // The harness's own way in stays open, as an operator keeps their address.
      ...(before.harnessSource === undefined ? {} : { keepOpenFor: before.harnessSource }),
    });
    chaos.results["DOCKER-USER rules"] = rules.join("\n");

    const closed = await auditExposure(chaos.stack);
    chaos.results["seen from outside, closed"] = describeAnswers(closed);
    const blockers = closed.findings.filter((f) => f.severity === "blocker");
    expect(blockers, `still open to outsiders:\n${renderFindingsText(blockers)}`).toEqual([]);
    expect(answers(closed, chaos.stack.deployment.frontend.port), "the web port").toBe(true);
    // Closed to outsiders only: the stack's own paths (nginx to the backend, the alerts) still work.
    const steady = await checkSteadyState(chaos.stack, { settle: true });
    expect(steady.holds, `closed to outsiders:\n${describeSteadyState(steady)}`).toBe(true);

    await chaos.heal();
    await chaos.recovered();
  });
});
