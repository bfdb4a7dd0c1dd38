import { expect, it } from "vitest";
import { describeUnitRun } from "./steady-state.ts";

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

it("a unit waiting to be restarted, stopped or missing is not steady", () => {
  expect(
    describeUnitRun(show({ ActiveState: "activating", SubState: "auto-restart", NRestarts: "7" }), 1000),
  ).toEqual({ ok: false, detail: "activating (auto-restart), 7 automatic restart(s)" });
  expect(describeUnitRun(show({ ActiveState: "inactive", SubState: "dead", NRestarts: "0" }), 1000)).toEqual({
    ok: false,
    detail: "inactive (dead), 0 automatic restart(s)",
  });
  expect(describeUnitRun("", 1000)).toEqual({ ok: false, detail: "missing (?), 0 automatic restart(s)" });
});
