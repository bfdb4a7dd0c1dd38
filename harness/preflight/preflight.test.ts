import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../errors.ts";
import { assertPreflight, describePreflight, runPreflight, type PreflightCheck } from "./preflight.ts";

const check = (name: string, run: PreflightCheck["run"]): PreflightCheck => ({ check: name, run });

describe("the preflight", () => {
  it("runs every check, one line each; a check that throws is missing with its message", async () => {
    const results = await runPreflight([
      check("Docker engine", () =>
        Promise.resolve({ check: "Docker engine", status: "ok", detail: "Docker 20.10" }),
      ),
      check("images", () =>
        Promise.resolve([
          { check: "images", status: "ok", detail: "2 to make" },
          { check: "go", status: "missing", detail: "not found", fix: "apt-get install golang-go" },
        ]),
      ),
      check("resolver", () => Promise.reject(new Error("no nameserver"))),
    ]);
    expect(describePreflight(results)).toBe(
      [
        "ok       Docker engine  Docker 20.10",
        "ok       images         2 to make",
        "MISSING  go             not found; fix: apt-get install golang-go",
        "MISSING  resolver       no nameserver",
      ].join("\n"),
    );
  });

  it("stops with an environment error naming only what is missing; warnings let the command go on", () => {
    const warning = { check: "Chromium", status: "warning", detail: "no screenshot" } as const;
    expect(() => {
      assertPreflight([warning], "run");
    }).not.toThrow();
    const missing = {
      check: "debootstrap",
      status: "missing",
      detail: "not found",
      fix: "apt-get install debootstrap",
    } as const;
    expect(() => {
      assertPreflight([warning, missing], "run");
    }).toThrow(EnvironmentError);
    expect(() => {
      assertPreflight([warning, missing], "run");
    }).toThrow(
      /^run cannot start: .*\nMISSING {2}debootstrap {2}not found; fix: apt-get install debootstrap$/,
    );
  });
});
