import { describeCitation, findingLocation, sortFindings, type Finding } from "./finding.ts";

/** Findings for a terminal: one block per finding, blockers first, every field on its own line. */
export function renderFindingsText(findings: readonly Finding[]): string {
  return sortFindings(findings)
    .map((f) =>
      [
        `${f.severity.toUpperCase().padEnd(7)} ${f.id}  ${findingLocation(f)}${f.kind === "runbook" ? "  (the runbook's own)" : ""}`,
        `  observed: ${f.observed}`,
        `  runbook:  ${describeCitation(f.runbook)}`,
        `  impact:   ${f.impact}`,
        ...(f.scenario === undefined ? [] : [`  shown by: sattva-chaos run ${f.scenario}`]),
      ].join("\n"),
    )
    .join("\n\n");
}
