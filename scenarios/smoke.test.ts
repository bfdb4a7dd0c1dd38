// Smoke: the deployment comes up as the runbook documents it, and is what the runbook says it is.
// A host is booted, the stack provisioned and started in the documented order (compose without the
// backend, wait for the DB, then the systemd units) by the scenario fixtures; this file checks the result.
import { checkSteadyState, describeSteadyState } from "../harness/stack/steady-state.ts";
import { expect, test } from "../harness/scenario/scenario-test.ts";

test("the documented deployment reaches its steady state", async ({ stack }) => {
  const steady = await checkSteadyState(stack, { settle: true });
  expect(steady.holds, `steady state does not hold:\n${describeSteadyState(steady)}`).toBe(true);
});
