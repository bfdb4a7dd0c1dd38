import {
  checkStatus,
  describeCitation,
  findingLocation,
  sortFindings,
  type CheckOutcome,
  type Finding,
} from "./finding.ts";

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function describe(finding: Finding): string {
  return `${finding.severity} ${finding.id} at ${findingLocation(finding)}: ${finding.observed}\n  impact: ${finding.impact}`;
}

/**
 * JUnit for CI's test view: one test case per check. A check with a blocker fails (the failure lists
 * its blockers); warnings and info are in its system-out; a check that could not run is skipped.
 */
export function renderFindingsJunit(
  suite: string,
  outcomes: readonly CheckOutcome[],
  durationMs: number,
): string {
  const cases = outcomes.map((outcome) => {
    const status = checkStatus(outcome);
    const blockers = outcome.findings.filter((f) => f.severity === "blocker");
    const others = outcome.findings.filter((f) => f.severity !== "blocker");
    const name = escapeXml(`${outcome.check.id}: ${outcome.check.title}`);
    const body = [
      status === "failed"
        ? `<failure message="${escapeXml(`${blockers.length} blocker(s): ${blockers.map((f) => f.observed).join("; ")}`)}">${escapeXml(blockers.map(describe).join("\n"))}</failure>`
        : "",
      status === "skipped" ? `<skipped message="${escapeXml(outcome.skipped ?? "")}"/>` : "",
      others.length === 0 ? "" : `<system-out>${escapeXml(others.map(describe).join("\n"))}</system-out>`,
    ].join("");
    return `    <testcase classname="${escapeXml(suite)}" name="${name}" time="0">${body}</testcase>`;
  });
  const failures = outcomes.filter((o) => checkStatus(o) === "failed").length;
  const skipped = outcomes.filter((o) => checkStatus(o) === "skipped").length;
  const head = `tests="${outcomes.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${(durationMs / 1000).toFixed(3)}"`;
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${escapeXml(suite)}" ${head}>`,
    `  <testsuite name="${escapeXml(suite)}" ${head}>`,
    ...cases,
    `  </testsuite>`,
    `</testsuites>`,
    "",
  ].join("\n");
}

/** How the findings' suites are named (each source's name follows). */
const FINDINGS_SUITE = "findings: ";

type FindingRecords = readonly { readonly source: string; readonly findings: readonly Finding[] }[];

/** One `<testsuite>` per source: a test case per finding, a blocker failing, the rest in system-out. */
function findingSuites(records: FindingRecords): string[] {
  return records.map((record) => {
    const findings = sortFindings(record.findings);
    const cases = findings.map((finding) => {
      const name = escapeXml(`${finding.id} ${findingLocation(finding)}`);
      const text = escapeXml(
        `${describe(finding)}\n  the runbook, line ${finding.runbook.line}: ${describeCitation(finding.runbook)}`,
      );
      const body =
        finding.severity === "blocker"
          ? `<failure message="${escapeXml(finding.observed)}">${text}</failure>`
          : `<system-out>${text}</system-out>`;
      return `    <testcase classname="${escapeXml(record.source)}" name="${name}" time="0">${body}</testcase>`;
    });
    return [
      `  <testsuite name="${escapeXml(`${FINDINGS_SUITE}${record.source}`)}" tests="${findings.length}" failures="${blockerCount(findings)}" errors="0" skipped="0" time="0">`,
      ...cases,
      "  </testsuite>",
    ].join("\n");
  });
}

const blockerCount = (findings: readonly Finding[]) =>
  findings.filter((f) => f.severity === "blocker").length;

/** How many findings the records hold (test cases), and how many are blockers (failures). */
function countCases(records: FindingRecords): { tests: number; failures: number } {
  return {
    tests: records.reduce((sum, record) => sum + record.findings.length, 0),
    failures: records.reduce((sum, record) => sum + blockerCount(record.findings), 0),
  };
}

/**
 * JUnit for the findings a run's tests made on their hosts (the topology and exposure audits, the
 * runbook's contradictions): one test case per finding, a suite per source. A blocker fails; a warning
 * or info passes with its text in system-out, so CI's test view lists every one.
 */
export function renderFindingRecordsJunit(records: FindingRecords): string {
  const { tests, failures } = countCases(records);
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="findings" tests="${tests}" failures="${failures}" errors="0" skipped="0" time="0">`,
    ...findingSuites(records),
    `</testsuites>`,
    "",
  ].join("\n");
}

/**
 * vitest's junit.xml with the findings' suites added after the scenarios' and the root's counts raised
 * to match, for CI that reads one JUnit file. Returned as it was without a root or with them already.
 */
export function addFindingsToJunit(junit: string, records: FindingRecords): string {
  const root = /<testsuites\b[^>]*>/.exec(junit);
  const end = junit.lastIndexOf("</testsuites>");
  // Written once: a report written again for the same run does not add them twice.
  if (
    root === null ||
    end === -1 ||
    records.length === 0 ||
    junit.includes(`<testsuite name="${FINDINGS_SUITE}`)
  )
    return junit;
  const raise = (tag: string, attribute: string, by: number) =>
    tag.replace(new RegExp(`\\b${attribute}="(\\d+)"`), (_, n: string) => `${attribute}="${Number(n) + by}"`);
  const { tests, failures } = countCases(records);
  const raised = raise(raise(root[0], "tests", tests), "failures", failures);
  return (
    junit.slice(0, root.index) +
    raised +
    junit.slice(root.index + root[0].length, end) +
    findingSuites(records).join("\n") +
    "\n" +
    junit.slice(end)
  );
}
