import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { closest } from "../parse/schema-issues.ts";
import { composeServiceFor, loadProfile, parseProfile, RUNBOOK_PROFILE } from "./profile.ts";

const problems = (json: unknown): string => {
  try {
    parseProfile(json, "sattva-chaos.json");
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("the profile was accepted");
};

describe("the stack profile", () => {
  it("defaults to the runbook: its root, names, ports and jobs", () => {
    expect(RUNBOOK_PROFILE).toMatchObject({
      root: "/opt/sattva-streamer",
      compose: { files: ["docker-compose.yml"], project: "sattva-streamer" },
      units: {
        backend: "sattva-backend.service",
        streamer: "sattva-streamer.service",
        timer: "yt-dlp-update.timer",
      },
      backend: { port: 8000, health: ["/health"] },
      prometheus: { jobs: { backend: "sattva-backend", streamer: "sattva-streamer" } },
    });
    expect(composeServiceFor(RUNBOOK_PROFILE, "db")).toBe("db");
  });

  it("states only what differs, and maps runbook services to the checkout's names (null: not deployed)", () => {
    const profile = parseProfile(
      { units: { dir: "ops/systemd" }, compose: { services: { db: "postgres", grafana: null } } },
      "p",
    );
    expect(profile.units).toMatchObject({ dir: "ops/systemd", backend: "sattva-backend.service" });
    expect(composeServiceFor(profile, "db")).toBe("postgres");
    expect(composeServiceFor(profile, "grafana")).toBeUndefined();
    expect(composeServiceFor(profile, "redis")).toBe("redis");
  });

  it("names a typo with its path, the key it likely meant and what is expected", () => {
    expect(problems({ units: { dirr: "ops" } })).toContain(
      'units.dirr: unknown key (did you mean "dir"?); expected one of dir, backend, streamer, update, timer',
    );
    expect(problems({ monitering: {} })).toContain('monitering: unknown key (did you mean "monitoring"?)');
  });

  it("names a wrong type or value with its path, what was expected and what it got", () => {
    const message = problems({
      compose: { files: "docker-compose.yml" },
      backend: { port: "8000" },
      root: "opt/x",
    });
    expect(message).toContain('compose.files: expected array, got "docker-compose.yml"');
    expect(message).toContain('backend.port: expected number, got "8000"');
    expect(message).toContain(
      'root: expected an absolute path on the host, without a trailing slash, got "opt/x"',
    );
    expect(problems({ units: { timer: "update.service" } })).toContain(
      'units.timer: expected a unit name ending in .timer, got "update.service"',
    );
    expect(problems({ env: [{ file: "../outside.env" }] })).toContain(
      'env.0.file: expected a path relative to the checkout, inside it, got "../outside.env"',
    );
    expect(problems({ streamer: { liveness: { kind: "heartbeat" } } })).toContain(
      "streamer.liveness.kind: expected",
    );
  });

  it("names the keys of the first, flat form by where they moved", () => {
    expect(problems({ unitsDir: "config/systemd" })).toContain("unitsDir: this key is now units.dir");
  });

  it("reads sattva-chaos.json at a checkout's root; bad JSON is named; no file means the runbook's", async () => {
    await withTempDir("profile-test", async (dir) => {
      expect(await loadProfile(dir)).toEqual({ profile: RUNBOOK_PROFILE, file: undefined, stated: {} });
      const file = path.join(dir, "sattva-chaos.json");
      await writeFile(file, '{ "units": ');
      await expect(loadProfile(dir)).rejects.toThrow(`${file}: not valid JSON`);
      await writeFile(file, '{ "units": { "dir": "ops" } }');
      expect((await loadProfile(dir)).profile.units.dir).toBe("ops");
      // As a Windows editor saves it: with a byte-order mark.
      await writeFile(file, '\uFEFF{ "units": { "dir": "deploy" } }');
      expect((await loadProfile(dir)).profile.units.dir).toBe("deploy");
    });
  });

  it("guesses a typo's key only when it is close", () => {
    expect(closest("composee", ["compose", "units"])).toBe("compose");
    expect(closest("zzz", ["compose", "units"])).toBeUndefined();
  });
});
