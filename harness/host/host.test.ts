import { expect, it } from "vitest";
import { once } from "./host.ts";

it("once runs a teardown a single time, however often and concurrently it is called", async () => {
  let runs = 0;
  const dispose = once(async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
  await Promise.all([dispose(), dispose()]);
  await dispose();
  expect(runs).toBe(1);
});
