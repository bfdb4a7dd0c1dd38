import { readFile } from "node:fs/promises";
import path from "node:path";
import { unescapeXml } from "../scenario/run-scenarios.ts";

/** Each test of a run's JUnit report ("file > test", the file without `.test.ts`) and its seconds. */
export async function testTimes(junitReport: string): Promise<Record<string, number>> {
  const junit = await readFile(junitReport, "utf8").catch(() => "");
  const times: Record<string, number> = {};
  for (const match of junit.matchAll(/<testcase classname="([^"]*)" name="([^"]*)" time="([\d.]+)"/g))
    times[`${path.basename(match[1] ?? "", ".test.ts")} > ${unescapeXml(match[2] ?? "")}`] = Number(match[3]);
  return times;
}
