import path from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Integration files that run for minutes (each boots hosts and waits out the deployment's timers),
 * longest first as a clean clone's CI run measured them. They start first, so that side by side no
 * long file is left running alone at the end while the other workers idle; the other files keep
 * vitest's order.
 */
const LONG_FILES = [
  "harness/self-tests/scenarios.integration.test.ts",
  "harness/targets/ssh/ssh-target.integration.test.ts",
  "harness/self-tests/jobs.integration.test.ts",
  "harness/self-tests/smoke.integration.test.ts",
  "scenarios/yt-dlp-broken.test.ts",
  "harness/self-tests/drifted.integration.test.ts",
  "harness/self-tests/renamed.integration.test.ts",
  "scenarios/network-chaos.test.ts",
  "harness/targets/ssh/ssh-gate-drifted.integration.test.ts",
  "harness/self-tests/telegram.integration.test.ts",
  "scenarios/firewall.test.ts",
  "harness/cli/up.integration.test.ts",
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const index = LONG_FILES.indexOf(path.relative(spec.project.config.root, spec.moduleId));
      return index === -1 ? LONG_FILES.length : index;
    };
    // vitest's order keeps each project's files together (projects run one after another): the long
    // files move to the front of their own project's run only.
    const runs: TestSpecification[][] = [];
    for (const spec of await super.sort(files)) {
      const last = runs.at(-1);
      if (last?.[0]?.project.name === spec.project.name) last.push(spec);
      else runs.push([spec]);
    }
    return runs.flatMap((run) => run.toSorted((a, b) => rank(a) - rank(b)));
  }
}
