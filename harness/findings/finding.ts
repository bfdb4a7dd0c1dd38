import { z } from "zod";
import { ExitCode } from "../errors.ts";

/**
 * One difference between a deployment (a checkout, or a running host) and its runbook, or a flaw of
 * the runbook itself. The static audit, the topology audit of a running host and the runbook's
 * contradictions all report this one type; text, JSON, JUnit, HTML and Markdown render it.
 */
export const SEVERITIES = ["blocker", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FindingSchema = z
  .object({
    id: z.string().describe("the check that found it, e.g. `unit.requires-missing`"),
    severity: z
      .enum(SEVERITIES)
      .describe(
        "blocker: production breaks (a release gate says no); warning: a hazard a failure or a reboot will show; info: worth knowing, including the runbook's own contradictions",
      ),
    kind: z
      .enum(["drift", "runbook"])
      .describe(
        "drift: the deployment departs from its runbook; runbook: the runbook is wrong or contradicts itself, so a deployment made exactly as written has it",
      ),
    subject: z.string().describe("what it is about: a unit, a compose service, a file, a port"),
    file: z
      .string()
      .optional()
      .describe("the file it is in: relative to the checkout for the static audit, a host path otherwise"),
    line: z.number().int().positive().optional().describe("1-based line in `file`"),
    runbook: z
      .object({
        section: z.string().describe("the runbook's section, headings joined by ' › '"),
        quote: z.string().describe("the runbook's own words there"),
        line: z.number().int().positive().describe("the runbook's line where the quote starts"),
        source: z
          .literal("reference")
          .optional()
          .describe(
            "present when the deployment's runbook does not say it and the quote is the reference runbook's (bundled with sattva-chaos)",
          ),
      })
      .describe("what the runbook says"),
    observed: z.string().describe("what the checkout or host says instead"),
    impact: z.string().describe("why it matters in production"),
    scenario: z
      .string()
      .optional()
      .describe("the scenario that shows the consequence on a live host (`sattva-chaos run <scenario>`)"),
  })
  .strict();

export type Finding = z.infer<typeof FindingSchema>;

/** A check the audit runs: it passes with no finding, fails with a blocker, or is skipped with a reason. */
export interface Check {
  readonly id: string;
  readonly title: string;
}

export interface CheckOutcome {
  readonly check: Check;
  readonly findings: readonly Finding[];
  /** Why the check could not run (its input is missing, its validator is unavailable). */
  readonly skipped?: string;
}

export type CheckStatus = "passed" | "failed" | "skipped";

/** A check fails when it found a blocker; warnings and info leave it passed, with findings. */
export function checkStatus(outcome: CheckOutcome): CheckStatus {
  if (outcome.findings.some((f) => f.severity === "blocker")) return "failed";
  return outcome.skipped === undefined ? "passed" : "skipped";
}

export function allFindings(outcomes: readonly CheckOutcome[]): Finding[] {
  return sortFindings(outcomes.flatMap((outcome) => outcome.findings));
}

const RANK: Readonly<Record<Severity, number>> = { blocker: 0, warning: 1, info: 2 };

/** Blockers first, then by file and line, so the output reads top to bottom like a review. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] ||
      (a.file ?? "").localeCompare(b.file ?? "") ||
      (a.line ?? 0) - (b.line ?? 0) ||
      a.id.localeCompare(b.id),
  );
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = { blocker: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return counts;
}

/** "2 blockers, 5 warnings, 9 info". */
export function describeSeverityCounts(findings: readonly Finding[]): string {
  const counts = countBySeverity(findings);
  return `${counts.blocker} blocker${counts.blocker === 1 ? "" : "s"}, ${counts.warning} warning${counts.warning === 1 ? "" : "s"}, ${counts.info} info`;
}

/** Exit 1 when anything blocks, 0 otherwise: what `audit` promises CI. */
export function findingsExitCode(findings: readonly Finding[]): number {
  return findings.some((f) => f.severity === "blocker") ? ExitCode.failed : ExitCode.passed;
}

/** `ops/systemd/sattva-backend.service:5`, or the subject where there is no file. */
/** The runbook's words behind a finding, for people: its section and quote, and whose runbook. */
export function describeCitation(citation: Finding["runbook"]): string {
  return `${citation.section}: "${citation.quote}"${citation.source === "reference" ? " (the reference runbook: the deployment's does not say it)" : ""}`;
}

export function findingLocation(finding: Finding): string {
  if (finding.file === undefined) return finding.subject;
  return finding.line === undefined ? finding.file : `${finding.file}:${finding.line}`;
}
