import { readVitestReport, testResults } from "../results/run-results.ts";

/** Each test of a run ("scenario > test") and its seconds, from vitest's report in `reportDir`. */
export async function testTimes(reportDir: string): Promise<Record<string, number>> {
  const report = await readVitestReport(reportDir);
  if (report === undefined) return {};
  return Object.fromEntries(
    testResults(report, "", []).map((test) => [
      `${test.scenario} > ${test.name}`,
      (test.durationMs ?? 0) / 1000,
    ]),
  );
}
