import type { VerdictStatus } from "../report/run-summary.ts";
import type { Runbook } from "./runbook.ts";

/** A command the runbook tells an engineer to type: a line of one of its bash blocks. */
export interface RunbookCommand {
  readonly section: string;
  /** The runbook's line of its first appearance. */
  readonly line: number;
  readonly command: string;
}

/** Where a scenario ran a runbook command verbatim, and what came of it. */
export interface CommandRun {
  readonly scenario: string;
  readonly test: string;
  /** Its exit code; none where the command was the test's fault (the test asserts on its outcome). */
  readonly exitCode?: number;
  /** A command that follows forever, watched for this long. */
  readonly followedForMs?: number;
  /** Not run as written: what ran instead, and why (an exception, not coverage). */
  readonly adapted?: { readonly ran: string; readonly why: string };
  /** The verdict of the test that ran it (its assertions on the command's outcome among them). */
  readonly verdict: VerdictStatus;
}

export interface CoverageRow extends RunbookCommand {
  readonly runs: readonly CommandRun[];
}

/**
 * Every distinct command of the runbook's bash blocks, in the runbook's order, read from the runbook
 * itself so that an edit to it shows up here. A block that starts with `#!` is a script the runbook
 * gives as a file (the update script), run as that file, not typed: its lines are not commands.
 */
export function runbookCommands(runbook: Runbook): RunbookCommand[] {
  const commands = new Map<string, RunbookCommand>();
  for (const section of runbook.sections)
    for (const block of section.code.filter((c) => c.lang === "bash" && !c.text.startsWith("#!")))
      for (const [offset, raw] of block.text.split("\n").entries()) {
        const command = raw.replace(/\s+#.*$/, "").trim();
        if (command === "" || command.startsWith("#") || commands.has(command)) continue;
        commands.set(command, { section: section.path, line: block.line + offset, command });
      }
  return [...commands.values()];
}

/** What the scenarios of a run did with a runbook command: the journals' runbook steps. */
export interface JournalSteps {
  readonly scenario: string;
  readonly test: string;
  readonly verdict: { readonly status: VerdictStatus };
  readonly runbook: readonly {
    readonly command: string;
    readonly exitCode: number;
    readonly followedForMs?: number;
    readonly adapted?: { readonly ran: string; readonly why: string };
  }[];
  /** Faults whose `runbookCommand` parameter is a runbook command, run as the fault (adapted: how). */
  readonly faults?: readonly {
    readonly params?: Readonly<Record<string, unknown>>;
    readonly adapted?: { readonly ran: string; readonly why: string };
  }[];
}

/**
 * The runbook's commands against what the run's scenarios ran verbatim (the same text, spaces aside):
 * each command with every test that ran it, or none.
 */
export function runbookCoverage(runbook: Runbook, journals: readonly JournalSteps[]): CoverageRow[] {
  const normal = (command: string) => command.trim().replace(/\s+/g, " ");
  return runbookCommands(runbook).map((command) => ({
    ...command,
    runs: journals.flatMap((journal) => {
      const test = { scenario: journal.scenario, test: journal.test, verdict: journal.verdict.status };
      const asFault = (journal.faults ?? []).filter(
        (fault) =>
          typeof fault.params?.["runbookCommand"] === "string" &&
          normal(fault.params["runbookCommand"]) === normal(command.command),
      );
      return [
        ...asFault.map((fault) => ({
          ...test,
          ...(fault.adapted === undefined ? {} : { adapted: fault.adapted }),
        })),
        ...journal.runbook
          .filter((step) => normal(step.command) === normal(command.command))
          .map((step) => ({
            ...test,
            exitCode: step.exitCode,
            ...(step.followedForMs === undefined ? {} : { followedForMs: step.followedForMs }),
            ...(step.adapted === undefined ? {} : { adapted: step.adapted }),
          })),
      ];
    }),
  }));
}

/** Whether some test ran the command as written (not only adapted). */
const verbatim = (row: CoverageRow) => row.runs.some((run) => run.adapted === undefined);

/**
 * Who ran a runbook command: "nginx-502 > backend stopped (exit 7, passed)", an adaptation with why,
 * or that no scenario did.
 */
export function describeRuns(row: CoverageRow): string {
  return row.runs.length === 0
    ? "not run by any scenario of this run"
    : row.runs
        .map((run) => {
          const watched =
            run.followedForMs === undefined ? "" : `followed for ${run.followedForMs / 1000} s, `;
          const how = run.exitCode === undefined ? "as the fault" : `${watched}exit ${run.exitCode}`;
          const adapted =
            run.adapted === undefined
              ? ""
              : `not as written: ran \`${run.adapted.ran}\` (${run.adapted.why}), `;
          return `${run.scenario} > ${run.test} (${adapted}${how}, ${run.verdict})`;
        })
        .join("; ");
}

/** "28 of 29 runbook commands run verbatim by a scenario; 1 only adapted (why in its row)". */
export function describeCoverage(rows: readonly CoverageRow[]): string {
  const run = rows.filter(verbatim).length;
  const adapted = rows.filter((row) => row.runs.length > 0 && !verbatim(row)).length;
  return `${run} of ${rows.length} runbook commands run verbatim by a scenario${adapted === 0 ? "" : `; ${adapted} only adapted to this host (why in its row)`}`;
}
