import { describe, expect, it } from "vitest";
import { forAll, until, WaitTimeoutError } from "./wait.ts";

describe("until", () => {
  it("resolves once the condition is observed ready", async () => {
    let looks = 0;
    await until(
      "three looks",
      () => Promise.resolve({ ready: ++looks === 3, detail: `look ${looks}` }),
      5,
    ).waitUntilReady(1000);
    expect(looks).toBe(3);
  });

  it("times out naming what it waited for and what it last saw", async () => {
    const wait = until("the port", () => Promise.resolve({ ready: false, detail: "connection refused" }), 10);
    const error = await wait.waitUntilReady(50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as Error).message).toMatch(/waiting for the port; last seen: connection refused/);
  });

  it("keeps polling through a probe that throws, and reports the error if it never recovers", async () => {
    const wait = until("a flaky probe", () => Promise.reject(new Error("ECONNRESET")), 10);
    await expect(wait.waitUntilReady(40)).rejects.toThrow(/last seen: ECONNRESET/);
  });
});

describe("forAll", () => {
  it("waits for each in order under one shared deadline", async () => {
    const order: string[] = [];
    const ready = (name: string) =>
      until(name, () => (order.push(name), Promise.resolve({ ready: true, detail: "" })));
    const all = forAll(ready("a"), ready("b"));
    expect(all.description).toBe("a and b");
    await all.waitUntilReady(1000);
    expect(order).toEqual(["a", "b"]);
  });

  it("fails with the first wait that does not become ready", async () => {
    const never = until("never", () => Promise.resolve({ ready: false, detail: "no" }), 10);
    const ok = until("ok", () => Promise.resolve({ ready: true, detail: "" }));
    await expect(forAll(ok, never).waitUntilReady(50)).rejects.toThrow(/waiting for never/);
  });
});
