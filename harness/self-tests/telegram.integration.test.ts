// A checkout whose streamer needs Telegram (harness/testing/telegram-stack.ts), as every real checkout
// of the project has it. A test host has no Telegram account and no route to Telegram, so that streamer
// cannot run there: the harness says so once, by name, instead of failing every scenario's baseline.
// What does not need the streamer is still tested and passes; what does is inconclusive, naming
// Telegram, never passed.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { makeTempDir, type TempDir } from "../lifecycle/temp-dir.ts";
import { RunResultsSchema } from "../results/run-results.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { removeStackTemplate } from "../testing/stack-templates.ts";
import { writeTelegramStack } from "../testing/telegram-stack.ts";

const CANNOT_RUN_HERE =
  /sattva-streamer\.service needs Telegram \(pyrogram, in streamer\/requirements\.txt\)/;

/** The tests that act on the running streamer. */
const NEEDS_STREAMER = /^yt-dlp-broken > .*\((a|b|c)\) /;

describe("a checkout whose streamer needs Telegram", () => {
  let dir: TempDir | undefined;
  let stack = "";
  beforeAll(async () => {
    dir = await makeTempDir("telegram-run");
    stack = await writeTelegramStack(path.join(dir.path, "telegram"));
  });
  afterAll(async () => {
    if (stack !== "") await removeStackTemplate(stack);
    await dir?.remove();
  });

  it("runs what does not need the streamer, and calls what does inconclusive, naming Telegram", async () => {
    const reports = path.join(dir?.path ?? "", "reports");
    const run = await sattvaChaos([
      ...["run", "smoke", "db-not-ready", "yt-dlp-broken"],
      ...["--stack", stack, "--report", reports, "--json"],
    ]);
    const results = RunResultsSchema.parse(JSON.parse(run.stdout));
    const output = `${run.stderr}\n${JSON.stringify(results.tests, null, 2)}`;
    expect(results.tests.length, output).toBeGreaterThanOrEqual(8);
    for (const test of results.tests) {
      const name = `${test.scenario} > ${test.name}`;
      if (NEEDS_STREAMER.test(name)) {
        expect(test.status, name).toBe("inconclusive");
        expect(test.failure, name).toMatch(CANNOT_RUN_HERE);
      } else {
        expect(test.status, `${name}: ${test.failure ?? ""}`).toBe("passed");
      }
    }
    expect(run.exitCode, output).toBe(ExitCode.inconclusive);
    expect(run.stderr).toContain(
      "note: sattva-streamer.service needs Telegram (pyrogram, in streamer/requirements.txt)",
    );
    // Smoke's steady state names the streamer's checks as skipped, with the line the streamer died on
    // (its unit check too, unless the streamer was still up after 5 s: its imports are slow on a busy machine).
    expect(run.stderr).toMatch(
      /skipped +(unit sattva-streamer is active and not restarting|the streamer is alive \(its profile's liveness signal\)): .*needs Telegram/,
    );
    expect(run.stderr).toMatch(/last logged: ValueError: invalid literal for int\(\) with base 10: ''/);
  });

  it("says so of a streamer whose login never completes, once it has run a while with no liveness", async () => {
    const hanging = await writeTelegramStack(path.join(dir?.path ?? "", "hanging"), "hangs");
    try {
      const run = await sattvaChaos([
        ...["run", "smoke", "--stack", hanging],
        ...["--report", path.join(dir?.path ?? "", "hanging-reports")],
      ]);
      expect(run.exitCode, run.stderr).toBe(ExitCode.passed);
      expect(run.stderr).toMatch(
        /skipped +the streamer is alive \(its profile's liveness signal\): .*needs Telegram \(pyrogram.*active \(running\) for \d+ s with no liveness .*last logged: connecting to Telegram\.\.\./,
      );
    } finally {
      await removeStackTemplate(hanging);
    }
  });
});
