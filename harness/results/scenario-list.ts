import { z } from "zod";

export const SCENARIO_LIST_VERSION = 1;

/** What `list --json` prints: each scenario and its tests, with those the release gate runs. */
export const ScenarioListSchema = z.strictObject({
  schemaVersion: z.literal(SCENARIO_LIST_VERSION),
  scenarios: z.array(
    z.strictObject({
      name: z.string().describe("what `run <name>` takes"),
      tests: z.array(
        z.strictObject({
          name: z.string().describe("the test's full name, as `run --grep` matches it"),
          readOnly: z.boolean().describe("changes nothing on the host: the release gate's suite"),
        }),
      ),
    }),
  ),
});
export type ScenarioList = z.infer<typeof ScenarioListSchema>;

/** The list from "scenario > test" names of all tests and of the read-only ones. */
export function scenarioList(
  scenarios: readonly string[],
  tests: readonly string[],
  readOnly: readonly string[],
): ScenarioList {
  const gate = new Set(readOnly);
  return {
    schemaVersion: SCENARIO_LIST_VERSION,
    scenarios: scenarios.map((name) => ({
      name,
      tests: tests
        .filter((test) => test.startsWith(`${name} > `))
        .map((test) => ({ name: test.slice(name.length + 3), readOnly: gate.has(test) })),
    })),
  };
}
