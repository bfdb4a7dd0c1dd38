import { expect, it } from "vitest";
import type { Stack } from "./stack.ts";
import { checkSteadyState, describeUnitRun, type SteadyStateCheck } from "./steady-state.ts";

const show = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key}=${value}`)
    .join("\n");

it("a unit is steady once it has run a few seconds; its automatic restarts are named", () => {
  const running = {
    ActiveState: "active",
    SubState: "running",
    NRestarts: "2",
    ActiveEnterTimestamp: "@1000",
  };
  expect(describeUnitRun(show(running), 1042)).toEqual({
    ok: true,
    detail: "active (running) for 42 s, 2 automatic restart(s)",
  });
  expect(describeUnitRun(show(running), 1002)).toEqual({
    ok: false,
    detail: "active (running) for 2 s, 2 automatic restart(s) (up less than 5 s: restarting?)",
  });
});

it("a unit waiting to be restarted, or to be started, is not steady yet; stopped for good it never will be", () => {
  const waiting = { ActiveState: "activating", SubState: "auto-restart", NRestarts: "7", Jobs: "1" };
  expect(describeUnitRun(show(waiting), 1000)).toEqual({
    ok: false,
    detail: "activating (auto-restart), 7 automatic restart(s)",
    final: false,
  });
  const queued = { ActiveState: "inactive", SubState: "dead", NRestarts: "0", Jobs: "1" };
  expect(describeUnitRun(show(queued), 1000)).toMatchObject({ ok: false, final: false });
  expect(describeUnitRun(show({ ...queued, Jobs: "0" }), 1000)).toEqual({
    ok: false,
    detail: "inactive (dead), 0 automatic restart(s)",
    final: true,
  });
  expect(describeUnitRun(show({ ActiveState: "failed", SubState: "failed", Jobs: "0" }), 1000)).toEqual({
    ok: false,
    detail: "failed (failed), 0 automatic restart(s)",
    final: true,
  });
  // Stopped with a service it is tied to: said, since starting that one does not start it again.
  const tied = { ...queued, Jobs: "0", Requires: "sysinit.target sattva-backend.service system.slice" };
  expect(describeUnitRun(show(tied), 1000)).toMatchObject({
    detail:
      "inactive (dead), 0 automatic restart(s); it is tied to another service (Requires=sattva-backend.service): systemd stops it with that one, and starting that one does not start it again",
  });
});

it("settling fail-fast: a check failed for good ends the others' waits, and their results say so", async () => {
  const stack = { host: { slowdown: 1 } } as unknown as Stack;
  const stopped: SteadyStateCheck = {
    name: () => "unit stopped",
    toleranceMs: 60_000,
    observe: () => Promise.resolve({ ok: false, detail: "inactive (dead)", final: true }),
  };
  const settling: SteadyStateCheck = {
    name: () => "target scraped",
    toleranceMs: 60_000,
    observe: () => Promise.resolve({ ok: false, detail: "not scraped yet" }),
  };
  const report = await checkSteadyState(stack, { settle: true, failFast: true, checks: [stopped, settling] });
  expect(report.holds).toBe(false);
  expect(report.results).toEqual([
    { name: "unit stopped", status: "failed", detail: "inactive (dead)" },
    {
      name: "target scraped",
      status: "failed",
      detail: 'not scraped yet (still settling when "unit stopped" failed for good)',
    },
  ]);
});
