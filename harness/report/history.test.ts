import { readdir } from "node:fs/promises";
import { expect, it } from "vitest";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { earlierRun, fixtureRun } from "./fixtures/journals.ts";
import { appendHistory, HISTORY_KEPT, readHistory, runRecord } from "./history.ts";

it("keeps the newest 30 runs and reads them back oldest first", async () => {
  await withTempDir("history", async (dir) => {
    const days = Array.from({ length: HISTORY_KEPT + 2 }, (_, i) => new Date(Date.UTC(2026, 0, 1 + i)));
    // Appended out of order: the file names, not the order of writing, keep the history sorted.
    for (const day of [...days].reverse()) {
      await appendHistory(dir, earlierRun(`run-${day.getUTCDate()}`, day.toISOString(), 10, "passed"));
    }
    const history = await readHistory(dir);
    expect(history).toHaveLength(HISTORY_KEPT);
    expect(history.map((run) => run.startedAt)).toEqual(days.slice(2).map((day) => day.toISOString()));
    expect((await readdir(dir)).every((file) => !file.includes(":"))).toBe(true);
  });
});

it("records each test's verdict and numeric results, not its text results", () => {
  const record = runRecord(fixtureRun);
  expect(record).toMatchObject({ runId: "run-3", target: "container", exitCode: 1 });
  expect(record.tests.find((test) => test.name.startsWith("nginx-502 > "))).toEqual({
    name: "nginx-502 > backend stopped: 502, BackendDown fires, a restart fixes it",
    status: "passed",
    results: {
      "time to detect (s)": 0.42,
      "time to alert BackendDown (s)": 9.3,
      "time to recover (s)": 14.25,
    },
  });
});
