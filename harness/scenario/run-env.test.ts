import { expect, it } from "vitest";
import { RunEnv, scenarioProcessEnv, targetOptionsFromEnv, targetOptionsToEnv } from "./run-env.ts";

it("gives scenario processes the run's own settings, never a SATTVA_CHAOS_* variable the caller exported", () => {
  const inherited = {
    PATH: "/usr/bin",
    [RunEnv.allowDestructive]: "true",
    [RunEnv.target]: "ssh://root@staging",
    [RunEnv.keep]: "true",
  };
  const env = scenarioProcessEnv({ [RunEnv.target]: "container" }, inherited);
  expect(env).toEqual({ PATH: "/usr/bin", [RunEnv.target]: "container" });
  expect(targetOptionsFromEnv(env).allowDestructive).toBe(false);
});

it("carries the target options through the environment and back", () => {
  const options = { key: "/k", knownHosts: "/kh", acceptNewHostKey: true, allowDestructive: true };
  expect(targetOptionsFromEnv(targetOptionsToEnv(options))).toEqual(options);
  expect(targetOptionsFromEnv({})).toEqual({ acceptNewHostKey: false, allowDestructive: false });
});
