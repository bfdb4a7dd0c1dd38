// Results must not depend on concurrency: two scenario files run one after the other (--jobs 1) and
// side by side (the default on a machine with room, here --jobs 2) give the same verdicts.
import path from "node:path";
import { expect, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { RunResultsSchema, type RunResults } from "../results/run-results.ts";
import { sattvaChaos } from "../testing/cli.ts";

const FILES = ["smoke", "nginx-502"];

/** Each test of a run and how it ended, with a chaos test's verdict, from `run --json`. */
function verdicts(results: RunResults): Record<string, string> {
  return Object.fromEntries(
    results.tests.map((test) => [
      `${test.scenario} > ${test.name}`,
      `${test.status}${test.verdict === undefined ? "" : `, verdict ${test.verdict.status}`}`,
    ]),
  );
}

it("two scenario files give the same verdicts one after the other and side by side", async () => {
  await withTempDir("jobs", async (dir) => {
    const runs: Record<string, string>[] = [];
    for (const jobs of ["1", "2"]) {
      const reports = path.join(dir, `jobs-${jobs}`);
      const result = await sattvaChaos(["run", ...FILES, "--jobs", jobs, "--report", reports, "--json"]);
      expect(result.exitCode, result.stderr).toBe(ExitCode.passed);
      if (jobs !== "1")
        // Side by side, each progress line names its scenario.
        for (const file of FILES)
          expect(result.stderr).toMatch(new RegExp(`▸ \\[${file}\\] host on container`));
      // stdout is the results document alone, valid against its schema.
      const results = RunResultsSchema.parse(JSON.parse(result.stdout));
      expect(results).toMatchObject({ command: "run", status: "passed", exitCode: 0, blocking: [] });
      expect(results.reports["html"]).toBe(path.join(reports, "index.html"));
      runs.push(verdicts(results));
    }
    const [sequential, concurrent] = runs;
    expect(Object.keys(sequential ?? {}).length).toBeGreaterThanOrEqual(5);
    expect(concurrent).toEqual(sequential);
  });
});
