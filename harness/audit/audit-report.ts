import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { allFindings, describeSeverityCounts } from "../findings/finding.ts";
import { findingsSection } from "../findings/html.ts";
import { findingsDocument, type FindingsDocument } from "../findings/json.ts";
import { renderFindingsJunit } from "../findings/junit.ts";
import { renderFindingsMarkdown } from "../findings/markdown.ts";
import { html, reportPage } from "../report/html.ts";
import type { AuditResult } from "./audit.ts";

/** The audit as the JSON document `--json` prints and findings.json holds. */
export function auditDocument(result: AuditResult): FindingsDocument {
  return findingsDocument({
    stack: result.checkout.dir,
    profile: result.checkout.profileFile,
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    outcomes: result.outcomes,
    lookedFor: result.checkout.lookedFor,
  });
}

function page(document: FindingsDocument): string {
  const findings = document.findings;
  return reportPage(
    `sattva-chaos audit: ${describeSeverityCounts(findings)}`,
    html`<header>
        <h1>sattva-chaos audit</h1>
        <p class="muted">
          ${document.stack} · profile ${document.profile ?? "none (the runbook's layout)"} ·
          ${document.startedAt} · ${(document.durationMs / 1000).toFixed(1)} s · ${document.checks.length}
          checks
        </p>
      </header>
      ${findingsSection(findings)}
      <h2>Files looked for</h2>
      <table>
        ${document.lookedFor.map(
          (l) =>
            html`<tr>
              <th>${l.what}</th>
              <td><code>${l.path}</code></td>
              <td>${l.found === undefined ? "" : html`found at <code>${l.found}</code>`}</td>
            </tr>`,
        )}
      </table>`,
  );
}

/** Writes findings.json, junit.xml (a test case per check), summary.md and index.html into `dir`. */
export async function writeAuditReport(dir: string, result: AuditResult): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const document = auditDocument(result);
  const files: [string, string][] = [
    ["findings.json", `${JSON.stringify(document, null, 2)}\n`],
    ["junit.xml", renderFindingsJunit("sattva-chaos audit", result.outcomes, result.durationMs)],
    [
      "summary.md",
      `### sattva-chaos audit of ${path.basename(document.stack)}\n\n${renderFindingsMarkdown(allFindings(result.outcomes))}`,
    ],
    ["index.html", page(document)],
  ];
  await Promise.all(files.map(([name, text]) => writeFile(path.join(dir, name), text)));
  return files.map(([name]) => path.join(dir, name));
}
