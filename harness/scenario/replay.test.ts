import { describe, expect, it } from "vitest";
import { faultDifferences } from "./replay.ts";

const fault = (name: string, params: Record<string, number | string>) => ({ name, params, injectedAtMs: 0 });

describe("faultDifferences", () => {
  it("is empty when the replay injected the same faults with the same parameters", () => {
    const faults = [fault("latency", { link: "backend-postgres", latencyMs: 2000 })];
    expect(faultDifferences(faults, faults)).toEqual([]);
  });

  it("names a fault whose parameters changed since the journal", () => {
    expect(
      faultDifferences(
        [fault("latency", { link: "backend-postgres", latencyMs: 2000 })],
        [fault("latency", { link: "backend-postgres", latencyMs: 500 })],
      ),
    ).toEqual([
      'not injected this time: latency {"link":"backend-postgres","latencyMs":2000}',
      'new this time: latency {"link":"backend-postgres","latencyMs":500}',
    ]);
  });
});
