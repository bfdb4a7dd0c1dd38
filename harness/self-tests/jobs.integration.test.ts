// Results must not depend on concurrency: two scenario files run one after the other (--jobs 1) and
// side by side (the default on a machine with room, here --jobs 2) give the same verdicts.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { readJournals } from "../report/journal.ts";
import { unescapeXml } from "../scenario/run-scenarios.ts";
import { sattvaChaos } from "../testing/cli.ts";

const FILES = ["smoke", "nginx-502"];

/** Each test of a run and how it ended, from its JUnit report and its journals. */
async function verdicts(reports: string): Promise<Record<string, string>> {
  const junit = await readFile(path.join(reports, "junit.xml"), "utf8");
  const byTest: Record<string, string> = {};
  for (const [, name = "", body = ""] of junit.matchAll(
    /<testcase [^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g,
  ))
    byTest[unescapeXml(name)] = /<(failure|error)/.test(body)
      ? "failed"
      : /<skipped/.test(body)
        ? "skipped"
        : "passed";
  for (const journal of await readJournals(path.join(reports, "journals")))
    byTest[`${journal.scenario} > ${journal.test}: verdict`] = journal.verdict.status;
  return byTest;
}

it("two scenario files give the same verdicts one after the other and side by side", async () => {
  await withTempDir("jobs", async (dir) => {
    const runs: Record<string, string>[] = [];
    for (const jobs of ["1", "2"]) {
      const reports = path.join(dir, `jobs-${jobs}`);
      const result = await sattvaChaos(["run", ...FILES, "--jobs", jobs, "--report", reports]);
      const output = result.stdout + result.stderr;
      expect(result.exitCode, output).toBe(ExitCode.passed);
      if (jobs !== "1")
        // Side by side, each progress line names its scenario.
        for (const file of FILES) expect(output).toMatch(new RegExp(`▸ \\[${file}\\] host on container`));
      runs.push(await verdicts(reports));
    }
    const [sequential, concurrent] = runs;
    expect(Object.keys(sequential ?? {}).length).toBeGreaterThanOrEqual(5);
    expect(concurrent).toEqual(sequential);
  });
});
