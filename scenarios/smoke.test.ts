// Smoke: the deployment comes up as the runbook documents it, and is what the runbook says it is.
// The scenario fixtures boot a host, provision the stack and start it in the documented order
// (compose without the backend, wait for the DB, then the systemd units); this file checks the result.
// Then it looks at the host from outside, as anyone on its network would (the exposure audit).
// It only reads, so it also runs on an existing host (a staging host) and is the release gate's suite.
// @module-tag read-only
import { checkSteadyState, describeSteadyState } from "../harness/stack/steady-state.ts";
import { renderFindingsText } from "../harness/findings/text.ts";
import { auditTopology } from "../harness/stack/topology-audit.ts";
import { auditExposure, describeAnswers } from "../harness/exposure/exposure-audit.ts";
import { expect, phase, recordFindings, test } from "../harness/scenario/scenario-test.ts";

test("the documented deployment reaches its steady state", async ({ stack }) => {
  const steady = await checkSteadyState(stack, { settle: true });
  phase(`steady state after the documented start:\n${describeSteadyState(steady)}`);
  expect(steady.holds, `steady state does not hold:\n${describeSteadyState(steady)}`).toBe(true);
});

test("the running host matches the documented architecture (beyond the runbook's own contradictions)", async ({
  stack,
}) => {
  const findings = await auditTopology(stack);
  await recordFindings("smoke-topology", `topology audit of ${stack.host.name}`, findings);
  // The runbook's own contradictions are findings too, but only drift fails the deployment.
  const drift = findings.filter((finding) => finding.kind === "drift");
  expect(drift, `the host departs from the runbook:\n${renderFindingsText(drift)}`).toEqual([]);
});

test("outsiders reach the frontend and nothing the deployment does not mean to show", async ({ stack }) => {
  // Probed from another machine's network (a probe container beside the host, this machine for a VM
  // or a staging host), never through the harness's own forwards: what anyone who reaches the host gets.
  const exposure = await auditExposure(stack);
  phase(`seen from ${exposure.from} at ${exposure.address}:\n${describeAnswers(exposure)}`);
  await recordFindings("smoke-exposure", `exposure audit of ${stack.host.name}`, exposure.findings);
  const frontend = exposure.answers.filter((a) => exposure.frontendPorts.includes(a.port));
  expect(
    frontend.length > 0 && frontend.every((answer) => answer.answered),
    `the frontend (${exposure.frontendPorts.map((p) => `:${p}`).join(", ") || "no published port"}) does not answer from outside:\n${describeAnswers(exposure)}`,
  ).toBe(true);
  // The runbook's own exposure (the backend on 0.0.0.0, its monitoring ports) blocks the release gate;
  // a port the checkout opens beyond the runbook fails the deployment here.
  const blockers = exposure.findings.filter((f) => f.kind === "drift" && f.severity === "blocker");
  expect(blockers, `outsiders reach what they must not:\n${renderFindingsText(blockers)}`).toEqual([]);
});
