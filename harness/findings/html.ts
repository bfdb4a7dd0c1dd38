import { html, type Html } from "../report/html.ts";
import {
  describeCitation,
  describeSeverityCounts,
  findingLocation,
  sortFindings,
  type Finding,
} from "./finding.ts";

/** The Findings section of the HTML report: one card per finding, blockers first. */
export function findingsSection(findings: readonly Finding[], heading = "Findings"): Html {
  if (findings.length === 0)
    return html`<h2>${heading}</h2>
      <p class="muted">No finding.</p>`;
  return html`<h2>${heading}</h2>
    <p class="muted">${describeSeverityCounts(findings)}</p>
    ${sortFindings(findings).map(
      (f) =>
        html`<section class="finding ${f.severity}">
          <h3>
            <span class="status ${f.severity}">${f.severity}</span> <code>${f.id}</code>
            <span class="muted"
              >${findingLocation(f)}${f.kind === "runbook" ? " · the runbook's own" : ""}</span
            >
          </h3>
          <p>${f.observed}</p>
          <p class="muted">the runbook, ${describeCitation(f.runbook)}</p>
          <p>
            ${f.impact}${f.scenario === undefined ? "" : html` <span class="muted">(shown by <code>sattva-chaos run ${f.scenario}</code>)</span>`}
          </p>
        </section>`,
    )}`;
}
