// Smoke: the deployment comes up as the runbook documents it, and is what the runbook says it is.
// The scenario fixtures boot a host, provision the stack and start it in the documented order
// (compose without the backend, wait for the DB, then the systemd units); this file checks the result.
// It only reads, so it also runs on an existing host (a staging host) and is the release gate's suite.
// @module-tag read-only
import { checkSteadyState, describeSteadyState } from "../harness/stack/steady-state.ts";
import { renderFindingsText } from "../harness/findings/text.ts";
import { auditTopology } from "../harness/stack/topology-audit.ts";
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
