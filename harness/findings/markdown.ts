import {
  describeCitation,
  describeSeverityCounts,
  findingLocation,
  sortFindings,
  type Finding,
} from "./finding.ts";

/**
 * Text for a Markdown table cell: GitHub renders inline HTML, so `<` and `&` would be read as markup,
 * and a pipe or a newline would end the cell. Backslash escapes keep the text as written.
 */
export function markdownCell(text: string): string {
  return text
    .trim()
    .split(/\s*\n\s*/)
    .join(" / ")
    .replace(/[\\`*_[\]<>&|]/g, (char) => `\\${char}`);
}

/** The Findings section of summary.md: counts, then a table with blockers first. */
export function renderFindingsMarkdown(findings: readonly Finding[], heading = "Findings"): string {
  if (findings.length === 0) return `#### ${heading}: none\n`;
  return [
    `#### ${heading}: ${describeSeverityCounts(findings)}`,
    "",
    "| severity | check | where | observed | the runbook says | why it matters |",
    "| --- | --- | --- | --- | --- | --- |",
    ...sortFindings(findings).map(
      (f) =>
        `| ${f.severity}${f.kind === "runbook" ? " (runbook)" : ""} | ${markdownCell(f.id)} | ${markdownCell(findingLocation(f))} | ${markdownCell(f.observed)} | ${markdownCell(describeCitation(f.runbook))} | ${markdownCell(f.impact)}${f.scenario === undefined ? "" : ` (${markdownCell(`run ${f.scenario}`)})`} |`,
    ),
    "",
  ].join("\n");
}
