import { runRecord, verdictCountsOf, type RunRecord } from "./history.ts";
import { findingsSection } from "../findings/html.ts";
import { describeCoverage, describeRuns, runbookCoverage } from "../runbook/coverage.ts";
import { runbook } from "../runbook/runbook.ts";
import { html, reportPage, type Html } from "./html.ts";
import { faultsOf, type Journal } from "./journal.ts";
import { findingsOfRecords } from "./findings-record.ts";
import {
  describeCounts,
  describeExitCode,
  formatResult,
  formatSeconds,
  formatTime,
  TREND_METRICS,
  VERDICT_STATUSES,
  whyNotPassed,
  type PlainTest,
  type RunSummary,
  type VerdictStatus,
} from "./run-summary.ts";
import { sparklineSvg } from "./sparkline-svg.ts";
import { MARKER_KINDS, marker, timelineSvg, type MarkerKindName } from "./timeline-svg.ts";

const seconds = (ms: number) => formatSeconds(ms / 1000);

function statusBadge(status: VerdictStatus): Html {
  return html`<span class="status ${status}">${status}</span>`;
}

function header(run: RunSummary, counts: Record<VerdictStatus, number>): Html {
  return html`<header>
    <h1>sattva-chaos run</h1>
    <p class="muted">
      target <b>${run.target}</b> · started ${formatTime(run.startedAt)} · exit code
      ${describeExitCode(run.exitCode)} · run ${run.runId}
    </p>
    <div class="counts">
      ${VERDICT_STATUSES.map((status) => html`<div class="count ${status}"><b>${counts[status]}</b>${status}</div>`)}
    </div>
  </header>`;
}

function legend(): Html {
  const kinds = Object.entries(MARKER_KINDS) as [MarkerKindName, (typeof MARKER_KINDS)[MarkerKindName]][];
  return html`<div class="legend">
    ${kinds.map(
      ([name, kind]) =>
        html`<span
          ><svg width="14" height="14" viewBox="0 0 14 14">${marker(name, 7, 7)}</svg> ${kind.legend}</span
        >`,
    )}
  </div>`;
}

/** Times first ("time to detect", "time to recover"), as they are what a reader looks for. */
function resultsTable(results: Journal["results"]): Html {
  const entries = Object.entries(results).sort(
    ([a], [b]) => Number(!a.startsWith("time to")) - Number(!b.startsWith("time to")),
  );
  if (entries.length === 0) return html``;
  return html`<table class="results">
    ${entries.map(
      ([name, value]) =>
        html`<tr>
          <th>${name}</th>
          <td>${formatResult(value)}</td>
        </tr>`,
    )}
  </table>`;
}

function faultList(journal: Journal): Html {
  const faults = faultsOf(journal);
  if (faults.length === 0) return html``;
  return html`<h4>Faults</h4>
    <ul class="faults">
      ${faults.map(
        (fault) =>
          html`<li>
            <b>${fault.name}</b
            >${fault.params === undefined ? "" : html` <code>${JSON.stringify(fault.params)}</code>`}
            ${fault.injectedAtMs === undefined ? "" : html` <span class="muted">injected at ${seconds(fault.injectedAtMs)}</span>`}${fault.healedAtMs === undefined ? "" : html`<span class="muted">, healed at ${seconds(fault.healedAtMs)}</span>`}
            <br />proof: ${fault.evidence ?? html`<span class="muted">none recorded</span>`}
          </li>`,
      )}
    </ul>`;
}

function runbookList(journal: Journal): Html {
  if (journal.runbook.length === 0) return html``;
  return html`<h4>Runbook</h4>
    <ol class="runbook">
      ${journal.runbook.map(
        (step) =>
          html`<li>
            <code>${step.command}</code>
            <span class="status ${step.exitCode === 0 ? "passed" : "failed"}">exit ${step.exitCode}</span>
            <span class="muted">at ${seconds(step.atMs)}, took ${seconds(step.durationMs)}</span>
            <details>
              <summary>output</summary>
              ${step.stdout === "" && step.stderr === "" ? html`<p class="muted">no output</p>` : ""}${step.stdout === "" ? "" : html`<pre>${step.stdout}</pre>`}${
                step.stderr === ""
                  ? ""
                  : html`<p class="muted">stderr</p>
                      <pre>${step.stderr}</pre>`
              }
            </details>
          </li>`,
      )}
    </ol>`;
}

function testSection(journal: Journal): Html {
  const why = whyNotPassed(journal.verdict);
  const residue = journal.residue ?? [];
  return html`<section class="test ${journal.verdict.status}">
    <h3>${statusBadge(journal.verdict.status)} ${journal.test}</h3>
    <p class="muted">
      host ${journal.host} · started
      ${formatTime(journal.startedAt)}${journal.durationMs === undefined ? "" : ` · took ${seconds(journal.durationMs)}`}
    </p>
    ${why === undefined ? "" : html`<pre class="why">${why}</pre>`} ${resultsTable(journal.results)}
    ${faultList(journal)}
    ${
      residue.length === 0
        ? ""
        : html`<h4>Residue</h4>
            <ul>
              ${residue.map((item) => html`<li>${item}</li>`)}
            </ul>`
    }
    ${timelineSvg(journal.timeline, journal.durationMs, `timeline of ${journal.test}`)}
    ${runbookList(journal)}
  </section>`;
}

/** A test without a journal: its verdict and error as vitest recorded them, nothing more to show. */
function plainTestSection(test: PlainTest): Html {
  const why = whyNotPassed(test.verdict);
  return html`<section class="test ${test.verdict.status}">
    <h3>${statusBadge(test.verdict.status)} ${test.test}</h3>
    <p class="muted">
      no journal (not a chaos test, or it ended before one
      began)${test.durationMs === undefined ? "" : ` · took ${seconds(test.durationMs)}`}
    </p>
    ${why === undefined ? "" : html`<pre class="why">${why}</pre>`}
  </section>`;
}

function scenarioSections(run: RunSummary): Html[] {
  const sections = [
    ...run.journals.map((journal) => ({ scenario: journal.scenario, section: testSection(journal) })),
    ...(run.plainTests ?? []).map((test) => ({ scenario: test.scenario, section: plainTestSection(test) })),
  ];
  return [...Map.groupBy(sections, (test) => test.scenario)].map(
    ([scenario, ofScenario]) =>
      html`<h2>${scenario}</h2>
        ${ofScenario.map((test) => test.section)}`,
  );
}

/** The Findings section: what the tests found on their hosts, with where each record came from. */
function findingsOfRun(run: RunSummary): Html {
  const records = run.findings ?? [];
  if (records.length === 0) return html``;
  return html`${findingsSection(findingsOfRecords(records))}
    <p class="muted">from ${records.map((r) => r.source).join("; ")}</p>`;
}

/** The runbook's commands, in its order, each with the tests that ran it verbatim (or none). */
function coverageSection(journals: readonly Journal[]): Html {
  const rows = runbookCoverage(runbook(), journals);
  return html`<h2>Runbook coverage</h2>
    <p class="muted">${describeCoverage(rows)}; read from the runbook's bash blocks.</p>
    <table class="coverage">
      <tr>
        <th>section</th>
        <th>line</th>
        <th>command</th>
        <th>run by</th>
      </tr>
      ${rows.map(
        (row) =>
          html`<tr class="${row.runs.length === 0 ? "not-run" : ""}">
            <td>${row.section}</td>
            <td>${row.line}</td>
            <td><code>${row.command}</code></td>
            <td>${describeRuns(row)}</td>
          </tr>`,
      )}
    </table>`;
}

function runsTable(runs: readonly RunRecord[], current: RunRecord): Html {
  return html`<table class="runs">
    <tr>
      <th>started</th>
      <th>target</th>
      <th>exit code</th>
      ${VERDICT_STATUSES.map((s) => html`<th>${s}</th>`)}
      <th></th>
    </tr>
    ${[...runs].reverse().map((run) => {
      const counts = verdictCountsOf(run);
      const total = Math.max(run.tests.length, 1);
      return html`<tr class="${run === current ? "this-run" : ""}">
        <td>${formatTime(run.startedAt)}${run === current ? " (this run)" : ""}</td>
        <td>${run.target}</td>
        <td>${run.exitCode}</td>
        ${VERDICT_STATUSES.map((s) => html`<td>${counts[s]}</td>`)}
        <td>
          <span class="run-bar" title="${describeCounts(counts)}"
            >${VERDICT_STATUSES.map((s) => html`<span class="${s}" style="width:${(100 * counts[s]) / total}%"></span>`)}</span
          >
        </td>
      </tr> `;
    })}
  </table>`;
}

function testTrendTable(runs: readonly RunRecord[], current: RunRecord): Html {
  return html`<table class="test-trend">
    <tr>
      <th>test</th>
      <th>verdicts, oldest first</th>
      ${TREND_METRICS.map((m) => html`<th>${m}</th>`)}
    </tr>
    ${current.tests.map((test) => {
      const past = runs.map((run) => run.tests.find((t) => t.name === test.name));
      return html`<tr>
        <td>${test.name}</td>
        <td>
          ${past.map((t, i) => html`<span class="dot ${t?.status ?? ""}" title="${formatTime(runs[i]?.startedAt ?? "")}: ${t?.status ?? "not run"}"></span>`)}
        </td>
        ${TREND_METRICS.map((metric) => {
          const values = past.map((t) => t?.results[metric]);
          return html`<td>${sparklineSvg(values, formatSeconds)} ${formatResult(test.results[metric])}</td>`;
        })}
      </tr> `;
    })}
  </table>`;
}

function trendSection(current: RunRecord, history: readonly RunRecord[]): Html {
  const runs = [...history, current];
  return html`<h2>Trend</h2>
    <p class="muted">This run and the ${history.length} before it kept in history.</p>
    <h3>Runs</h3>
    ${runsTable(runs, current)}
    <h3>Tests of this run</h3>
    ${testTrendTable(runs, current)}`;
}

/**
 * The run report people read: one self-contained HTML page (inline CSS and SVG, no script, nothing
 * fetched) with the verdicts, each test's results, faults, timeline and runbook output, and the trend
 * against `history` (earlier runs, oldest first).
 */
export function renderHtml(run: RunSummary, history: readonly RunRecord[]): string {
  const current = runRecord(run);
  const counts = verdictCountsOf(current);
  return reportPage(
    `sattva-chaos run: ${describeCounts(counts)}`,
    html`${header(run, counts)} ${legend()}
    ${run.journals.length + (run.plainTests ?? []).length === 0 ? html`<p class="muted">No test ran.</p>` : scenarioSections(run)}
    ${findingsOfRun(run)} ${run.journals.length === 0 ? html`` : coverageSection(run.journals)}
    ${trendSection(current, history)}`,
  );
}
