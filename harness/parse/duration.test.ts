import { expect, it } from "vitest";
import { durationSeconds } from "./duration.ts";

it("reads durations as Prometheus and nginx write them", () => {
  expect(durationSeconds("10s")).toBe(10);
  expect(durationSeconds("1m30s")).toBe(90);
  expect(durationSeconds("60")).toBe(60);
  expect(durationSeconds("500ms")).toBe(0.5);
  expect(durationSeconds("soon")).toBeUndefined();
});
