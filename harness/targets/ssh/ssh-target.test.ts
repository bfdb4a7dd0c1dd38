import { describe, expect, it } from "vitest";
import { DISPOSABLE_MARKER, faultPermission } from "./ssh-target.ts";

describe("faultPermission", () => {
  const url = "ssh://deploy@staging";

  it("allows faults only with --allow-destructive and the marker together", () => {
    expect(faultPermission(url, true, true)).toEqual({ allowed: true });
  });

  it.each([
    [false, true, ["--allow-destructive was not given"]],
    [true, false, [`${DISPOSABLE_MARKER} does not exist`]],
    [false, false, ["--allow-destructive was not given", `${DISPOSABLE_MARKER} does not exist`]],
  ])("refuses with allowDestructive=%s marker=%s, naming what is missing", (allow, marker, missing) => {
    const permission = faultPermission(url, allow, marker);
    expect(permission.allowed).toBe(false);
    if (permission.allowed) return;
    expect(permission.reason).toContain(url);
    for (const text of missing) expect(permission.reason).toContain(text);
  });
});
