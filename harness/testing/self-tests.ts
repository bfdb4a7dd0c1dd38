// A scenario that cannot fail is a defect: each one is run, through the real command line, against a
// deliberately broken copy of the stack in which it must fail, and its output must name the cause.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { describe, it } from "vitest";
import { ExitCode } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { writeBrokenStack, type BreakageName } from "./broken-stack.ts";
import { sattvaChaos } from "./cli.ts";
import { removeStackTemplate } from "./stack-templates.ts";

export interface SelfTest {
  readonly scenario: string;
  readonly breakage: BreakageName;
  /** Limits the run to the scenario's tests that the breakage concerns (`run --grep`). */
  readonly grep?: string;
  /** What the failure must say. */
  readonly cause: RegExp;
  /** The exit code the run must end with: failed unless the breakage keeps the baseline from holding. */
  readonly exitCode?: number;
  /** Also replays the failed test from its journal (`run --replay`), which must fail the same way. */
  readonly replay?: true;
}

/**
 * One test per self-test, two at a time: each boots its own host, and most of a failing run is waiting
 * out a tolerance.
 */
export function describeSelfTests(title: string, selfTests: readonly SelfTest[]): void {
  describe.concurrent(title, () => {
    for (const { scenario, breakage, grep, cause, exitCode = ExitCode.failed, replay } of selfTests) {
      it(`${scenario}${grep === undefined ? "" : ` ("${grep}")`} on ${breakage}`, async ({ expect }) => {
        await withTempDir(`broken-${breakage}`, async (dir) => {
          const stack = await writeBrokenStack(breakage, path.join(dir, "stack"));
          try {
            const filter = grep === undefined ? [] : ["--grep", grep];
            // Its own report directory: two runs at once must not read each other's JUnit or journals.
            const report = ["--report", path.join(dir, "reports")];
            const result = await sattvaChaos(["run", scenario, ...filter, "--stack", stack, ...report]);
            const output = result.stdout + result.stderr;
            expect(result.exitCode, whatFailed(output) + output).toBe(exitCode);
            expect(output, whatFailed(output)).toMatch(cause);
            if (replay === true) {
              // How an engineer reproduces last night's failure: the journal alone says what to run and where.
              const journals = path.join(dir, "reports", "journals", scenario);
              const [journal] = await readdir(journals);
              const again = await sattvaChaos([
                "run",
                "--replay",
                path.join(journals, journal ?? ""),
                ...report,
              ]);
              const replayed = again.stdout + again.stderr;
              expect(again.exitCode, whatFailed(replayed) + replayed).toBe(exitCode);
              expect(replayed, whatFailed(replayed)).toMatch(cause);
              expect(replayed).toMatch(/replay: the same verdict: failed: /);
            }
          } finally {
            // The copy goes with the test, and so does the template its runs made (keyed by its content).
            await removeStackTemplate(stack);
          }
        });
      });
    }
  });
}

/**
 * The lines of a run's output that say what went wrong, first: a CI log shows the head of a long
 * assertion message, and the whole output (which follows) is mostly progress.
 */
function whatFailed(output: string): string {
  const telling = output
    .split("\n")
    .filter((line) => /\b(FAIL|failed|BLOCKER|inconclusive|Error)\b/.test(line))
    .slice(0, 30);
  return `what the run said went wrong:\n${telling.join("\n")}\n`;
}
