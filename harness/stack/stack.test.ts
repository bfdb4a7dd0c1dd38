import { describe, expect, it } from "vitest";
import { requirePass } from "./stack.ts";

describe("requirePass", () => {
  it("reads Redis' password from its compose command or its environment", () => {
    expect(requirePass(["redis-server", "--requirepass", "s3cret"], {})).toBe("s3cret");
    expect(requirePass(["redis-server", "--requirepass=s3cret", "--appendonly", "yes"], {})).toBe("s3cret");
    expect(requirePass(["sh", "-c", "exec redis-server --requirepass 's3cret' --save ''"], {})).toBe(
      "s3cret",
    );
    expect(requirePass(["redis-server"], { REDIS_PASSWORD: "from-env" })).toBe("from-env");
  });

  it("is undefined for a Redis that asks for no password", () => {
    expect(requirePass([], {})).toBeUndefined();
    expect(requirePass(["redis-server", "--appendonly", "yes"], { REDIS_PASSWORD: "" })).toBeUndefined();
  });
});
