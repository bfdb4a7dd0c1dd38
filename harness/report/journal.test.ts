import { writeFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { failedJournal, inconclusiveJournal, passedJournal, writeJournalFile } from "./fixtures/journals.ts";
import { faultsOf, readJournals } from "./journal.ts";

it("reads this run's journals, by scenario, keeping fields it does not know", async () => {
  await withTempDir("journals", async (dir) => {
    const since = Date.now() - 1000;
    await writeJournalFile(dir, passedJournal);
    await writeJournalFile(dir, failedJournal);
    await writeJournalFile(dir, inconclusiveJournal, new Date(since - 60_000));
    const journals = await readJournals(dir, since);
    expect(journals.map((journal) => journal.scenario)).toEqual(["nginx-502", "port-8000-conflict"]);
    expect(journals[1]).toMatchObject({
      unknownField: { command: "npx sattva-chaos run port-8000-conflict" },
    });
    expect(await readJournals(dir)).toHaveLength(3);
  });
});

it("has no journals where there is no directory, and names a journal that is not JSON", async () => {
  await withTempDir("journals", async (dir) => {
    expect(await readJournals(path.join(dir, "nowhere"))).toEqual([]);
    await writeFile(path.join(dir, "torn.json"), '{"scenario": "nginx-');
    await expect(readJournals(dir)).rejects.toThrow(
      `journal ${path.join(dir, "torn.json")} is not valid JSON`,
    );
  });
});

it("takes faults from the journal, or from the timeline of journals that predate them", () => {
  expect(faultsOf(passedJournal)).toBe(passedJournal.faults);
  expect(faultsOf(failedJournal)).toEqual([
    { name: "`docker compose up -d`", injectedAtMs: 4100, evidence: "sattva-streamer-backend-1 created" },
  ]);
  expect(faultsOf(inconclusiveJournal)).toEqual([{ name: "PostgreSQL restart", injectedAtMs: 3200 }]);
});
