import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeFindingsAllure } from "./allure.ts";
import { renderAnnotations } from "./github.ts";
import { ExitCode } from "../errors.ts";
import {
  allFindings,
  checkStatus,
  describeSeverityCounts,
  findingLocation,
  findingsExitCode,
  type CheckOutcome,
  type Finding,
} from "./finding.ts";
import { findingsSection } from "./html.ts";
import { findingsDocument, FindingsDocumentSchema } from "./json.ts";
import { addFindingsToJunit, renderFindingRecordsJunit, renderFindingsJunit } from "./junit.ts";
import { markdownCell, renderFindingsMarkdown } from "./markdown.ts";
import { renderFindingsText } from "./text.ts";

const finding = (severity: Finding["severity"], id: string, file?: string, line?: number): Finding => ({
  id,
  severity,
  kind: "drift",
  subject: "redis:6379",
  ...(file === undefined ? {} : { file }),
  ...(line === undefined ? {} : { line }),
  runbook: { section: "Архитектура сервисов", quote: "localhost (Redis :6379)", line: 37 },
  observed: "redis publishes :6379 on every interface <0.0.0.0> & more | pipes",
  impact: "Redis is open to the internet",
  scenario: "smoke",
});

const outcomes: CheckOutcome[] = [
  {
    check: { id: "compose.public-ports", title: "ports" },
    findings: [
      finding("warning", "compose.public-ports", "b.yml", 3),
      finding("blocker", "compose.public-ports", "a.yml", 9),
    ],
  },
  { check: { id: "unit.install", title: "install" }, findings: [finding("info", "unit.install")] },
  { check: { id: "timer.schedule", title: "timer" }, findings: [], skipped: "no timer" },
];

describe("findings", () => {
  it("sort blockers first, then by file and line; count and exit as documented", () => {
    const all = allFindings(outcomes);
    expect(all.map((f) => `${f.severity} ${findingLocation(f)}`)).toEqual([
      "blocker a.yml:9",
      "warning b.yml:3",
      "info redis:6379",
    ]);
    expect(describeSeverityCounts(all)).toBe("1 blocker, 1 warning, 1 info");
    expect(findingsExitCode(all)).toBe(ExitCode.failed);
    expect(findingsExitCode(all.filter((f) => f.severity !== "blocker"))).toBe(ExitCode.passed);
    expect(outcomes.map(checkStatus)).toEqual(["failed", "passed", "skipped"]);
  });

  it("render as text with every field", () => {
    const text = renderFindingsText(allFindings(outcomes));
    expect(text).toContain("BLOCKER compose.public-ports  a.yml:9");
    expect(text).toContain('  runbook:  Архитектура сервисов: "localhost (Redis :6379)"');
    expect(text).toContain("  shown by: sattva-chaos run smoke");
  });

  it("render as a JSON document that its schema accepts", () => {
    const document = findingsDocument({
      stack: "/s",
      profile: undefined,
      startedAt: new Date(0),
      durationMs: 12.4,
      outcomes,
      lookedFor: [{ what: "x", path: "y" }],
    });
    expect(FindingsDocumentSchema.parse(JSON.parse(JSON.stringify(document)))).toEqual(document);
    expect(document.counts).toEqual({ blocker: 1, warning: 1, info: 1 });
    expect(document.checks.map((c) => c.status)).toEqual(["failed", "passed", "skipped"]);
  });

  it("render as JUnit: a test case per check, a blocker fails it, a skipped check is skipped", () => {
    const xml = renderFindingsJunit("audit", outcomes, 1500);
    expect(xml).toContain(
      '<testsuites name="audit" tests="3" failures="1" errors="0" skipped="1" time="1.500">',
    );
    expect(xml).toMatch(
      /name="compose.public-ports: ports" time="0"><failure message="1 blocker\(s\): redis publishes :6379 on every interface &#60;0.0.0.0&#62; &#38; more \| pipes">/,
    );
    expect(xml).toContain('<skipped message="no timer"/>');
    expect(xml).toContain("<system-out>info unit.install at redis:6379");
  });

  it("render as Markdown cells that keep their text (no HTML entities, no broken table)", () => {
    expect(markdownCell("a | b <c> & `d`\nnext")).toBe("a \\| b \\<c\\> \\& \\`d\\` / next");
    const markdown = renderFindingsMarkdown(allFindings(outcomes));
    expect(markdown).toContain("#### Findings: 1 blocker, 1 warning, 1 info");
    expect(markdown.split("\n").filter((l) => l.startsWith("| blocker")).length).toBe(1);
    expect(renderFindingsMarkdown([])).toBe("#### Findings: none\n");
  });

  it("render as an HTML section with everything escaped", () => {
    const markup = findingsSection(allFindings(outcomes)).markup;
    expect(markup).toContain('<span class="status blocker">blocker</span>');
    expect(markup).toContain("&lt;0.0.0.0&gt; &amp; more");
    expect(markup).not.toContain("<0.0.0.0>");
  });
});

describe("findings of a run as JUnit", () => {
  const records = [
    {
      source: "exposure audit of h1",
      findings: [finding("info", "exposure.ssh"), finding("blocker", "exposure.db")],
    },
    { source: "topology audit of h1", findings: [finding("warning", "topology.unit-not-enabled")] },
  ];
  const xml = renderFindingRecordsJunit(records);

  it("join the scenarios' JUnit as suites of their own, the totals raised to count them, once", () => {
    const vitest = [
      '<?xml version="1.0" encoding="UTF-8" ?>',
      '<testsuites name="vitest tests" tests="5" failures="1" errors="0" time="12.5">',
      '    <testsuite name="scenarios/smoke.test.ts" tests="5" failures="1">',
      "    </testsuite>",
      "</testsuites>",
      "",
    ].join("\n");
    const joined = addFindingsToJunit(vitest, records);
    expect(joined).toContain(
      '<testsuites name="vitest tests" tests="8" failures="2" errors="0" time="12.5">',
    );
    expect(joined.indexOf('<testsuite name="findings: exposure audit of h1"')).toBeGreaterThan(
      joined.indexOf('<testsuite name="scenarios/smoke.test.ts"'),
    );
    expect(joined).toMatch(/<\/testsuite>\n<\/testsuites>\n$/);
    expect(joined.split("<testcase ")).toHaveLength(4);
    expect(addFindingsToJunit(joined, records), "written a second time").toBe(joined);
    expect(addFindingsToJunit(vitest, []), "no findings").toBe(vitest);
  });

  it("is one test case per finding, a suite per source: a blocker fails, the rest pass with their text", () => {
    expect(xml).toContain(
      '<testsuites name="findings" tests="3" failures="1" errors="0" skipped="0" time="0">',
    );
    expect(xml).toContain('<testsuite name="findings: exposure audit of h1" tests="2" failures="1"');
    const cases = xml.split("<testcase ").slice(1);
    expect(cases.map((c) => / name="([^"]*)"/.exec(c)?.[1])).toEqual([
      "exposure.db redis:6379",
      "exposure.ssh redis:6379",
      "topology.unit-not-enabled redis:6379",
    ]);
    expect(cases[0]).toMatch(
      /^classname="exposure audit of h1" name="exposure.db redis:6379" time="0"><failure message="redis publishes :6379 on every interface &#60;0.0.0.0&#62; &#38; more \| pipes">/,
    );
    expect(cases[1]).toContain("<system-out>info exposure.ssh at redis:6379");
    // Each cites the runbook.
    expect(cases[2]).toContain(
      "the runbook, line 37: Архитектура сервисов: &#34;localhost (Redis :6379)&#34;",
    );
  });
});

describe("findings of a run as allure results", () => {
  it("writes one result per finding: a blocker failed, the rest passed, with the same id night after night", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "allure-findings-"));
    try {
      const records = [
        {
          source: "exposure audit of h1",
          findings: [finding("info", "exposure.ssh"), finding("blocker", "exposure.db")],
        },
      ];
      expect(writeFindingsAllure(dir, records, 1_000)).toBe(2);
      writeFindingsAllure(dir, records, 2_000);
      const results = readdirSync(dir)
        .filter((file) => file.endsWith("-result.json"))
        .map((file) => JSON.parse(readFileSync(path.join(dir, file), "utf8")) as Record<string, unknown>);
      expect(results).toHaveLength(4);
      const db = results.filter((r) => r["name"] === "exposure.db redis:6379");
      expect(db.map((r) => r["status"])).toEqual(["failed", "failed"]);
      expect(new Set(db.map((r) => r["historyId"])).size).toBe(1);
      expect(db[0]).toMatchObject({
        stage: "finished",
        statusDetails: { message: "redis publishes :6379 on every interface <0.0.0.0> & more | pipes" },
      });
      expect(db[0]?.["labels"]).toEqual(
        expect.arrayContaining([
          { name: "suite", value: "exposure audit of h1" },
          { name: "severity", value: "blocker" },
        ]),
      );
      const ssh = results.find((r) => r["name"] === "exposure.ssh redis:6379");
      expect(ssh?.["status"]).toBe("passed");
      expect(ssh?.["labels"]).toEqual(expect.arrayContaining([{ name: "severity", value: "minor" }]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("findings as GitHub Actions annotations", () => {
  it("annotates blockers and warnings at their file and line in the workspace, escaped; info is not", () => {
    const lines = renderAnnotations(
      [
        finding("blocker", "compose.public-ports", "deploy/docker-compose.yml", 18),
        finding("warning", "unit.restart", "ops/sattva-backend.service"),
        finding("info", "runbook.cron", "DEPLOYMENT_ARCHITECTURE.md", 24),
      ],
      "/work/repo/stack",
      "/work/repo",
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^::error file=stack\/deploy\/docker-compose\.yml,line=18,title=compose\.public-ports redis%3A6379::redis publishes :6379 on every interface/,
    );
    expect(lines[0]).toContain("%0A");
    expect(lines[0]).not.toContain("\n");
    expect(lines[1]).toMatch(/^::warning file=stack\/ops\/sattva-backend\.service,title=unit\.restart /);
    // A checkout outside the workspace is named by its absolute path.
    expect(renderAnnotations([finding("blocker", "x", "a.yml", 1)], "/elsewhere", "/work/repo")[0]).toMatch(
      /^::error file=\/elsewhere\/a\.yml,line=1,/,
    );
  });
});
