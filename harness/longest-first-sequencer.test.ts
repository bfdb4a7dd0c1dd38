import { expect, it } from "vitest";
import type { TestSpecification, Vitest } from "vitest/node";
import LongestFirstSequencer from "./longest-first-sequencer.ts";

const ROOT = "/repo";

/** A file of a project as the sequencer sees it (vitest's own sort reads these fields only). */
function spec(project: string, file: string, groupOrder = 0): TestSpecification {
  return {
    moduleId: `${ROOT}/${file}`,
    project: { name: project, config: { root: ROOT, isolate: true, sequence: { groupOrder } } },
  } as unknown as TestSpecification;
}

it("starts the long integration files first, within their project; projects keep vitest's order", async () => {
  // No cache: vitest orders by project, then by file size (none here).
  const ctx = {
    config: { root: ROOT },
    cache: { getFileTestResults: () => undefined, getFileStats: () => undefined },
  } as unknown as Vitest;
  const files = [
    spec("unit", "harness/a.test.ts"),
    spec("integration", "scenarios/smoke.test.ts", 1),
    spec("integration", "harness/cli/up.integration.test.ts", 1),
    spec("integration", "harness/self-tests/scenarios.integration.test.ts", 1),
    spec("integration-alone", "harness/x.alone.integration.test.ts", 2),
  ];
  const sorted = await new LongestFirstSequencer(ctx).sort(files);
  expect(sorted.map((s) => `${s.project.name} ${s.moduleId.slice(ROOT.length + 1)}`)).toEqual([
    "unit harness/a.test.ts",
    "integration harness/self-tests/scenarios.integration.test.ts",
    "integration harness/cli/up.integration.test.ts",
    "integration scenarios/smoke.test.ts",
    "integration-alone harness/x.alone.integration.test.ts",
  ]);
});
