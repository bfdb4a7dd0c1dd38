import { describe, expect, it } from "vitest";
import { earlierRun, fixtureRun } from "./fixtures/journals.ts";
import { renderHtml } from "./html-report.ts";

const history = [
  earlierRun("run-0", "2026-11-23T09:00:00.000Z", 20, "passed"),
  earlierRun("run-1", "2026-11-24T09:00:00.000Z", 16, "failed"),
  earlierRun("run-2", "2026-11-25T09:00:00.000Z", 12, "passed"),
];
const page = renderHtml(fixtureRun, history);
/** Each test's section of the page, in the run's order. */
const sections = page.split('<section class="test ').slice(1);
const [inconclusive = "", passed = "", failed = ""] = sections;
const trend = page.slice(page.indexOf("<h2>Trend</h2>"));

/** What a reader sees of some markup: its text (entities left as they are), whitespace collapsed. */
function textOf(markup: string): string {
  return markup
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

describe("the run's verdicts", () => {
  it("shows a test that wrote no journal (a smoke check) under its scenario, with vitest's error", () => {
    const smoke = renderHtml(
      {
        ...fixtureRun,
        journals: [],
        plainTests: [
          {
            scenario: "smoke",
            test: "steady state",
            verdict: { status: "failed", cause: "steady state does not hold" },
            durationMs: 1500,
          },
        ],
      },
      [],
    );
    expect(smoke).toContain("<title>sattva-chaos run: 0 passed, 1 failed, 0 inconclusive</title>");
    const section = textOf(smoke.slice(smoke.indexOf("<h2>smoke</h2>"), smoke.indexOf("</section>")));
    expect(section).toBe(
      "smoke failed steady state no journal (not a chaos test, or it ended before one began) · took 1.5s steady state does not hold",
    );
  });

  it("counts them at the top with the target, the date and the exit code", () => {
    expect(page).toContain("<title>sattva-chaos run: 1 passed, 1 failed, 1 inconclusive</title>");
    const header = textOf(page.slice(page.indexOf("<header>"), page.indexOf("</header>")));
    expect(header).toBe(
      "sattva-chaos run target container · started 2026-11-26 09:00 UTC · exit code 1 (a scenario failed, or a blocker was found) · run run-3 1 passed 1 failed 1 inconclusive",
    );
  });

  it("gives each test its verdict with the cause or the reason, its results, faults and residue", () => {
    expect(sections.map((section) => section.slice(0, section.indexOf('"')))).toEqual([
      "inconclusive",
      "passed",
      "failed",
    ]);
    expect(textOf(inconclusive)).toContain(
      "fault &quot;PostgreSQL restart&quot; could not be shown to apply",
    );
    expect(failed).toContain(
      '<pre class="why">the stack did not return to its steady state:\n  backend unit: failed (expected active)</pre>',
    );
    expect(textOf(failed)).toContain(
      "Residue sattva-backend is failed compose backend container sattva-streamer-backend-1 exists",
    );
    expect(passed).not.toContain('class="why"');
    expect(textOf(passed)).toContain(
      "time to detect (s) 0.42 time to alert BackendDown (s) 9.3 time to recover (s) 14.25 detected by nginx answers 502",
    );
    expect(textOf(passed)).toContain(
      "backend stopped {&quot;unit&quot;:&quot;sattva-backend&quot;} injected at 5.63s , healed at 20.5s proof: systemctl is-active sattva-backend: inactive",
    );
  });
});

describe("each test's timeline", () => {
  it("is one inline SVG per test with a marker per event, by kind", () => {
    for (const section of sections) expect(section.match(/<svg\s+class="timeline"/g)).toHaveLength(1);
    const kinds = [...passed.matchAll(/data-kind="(\w+)"/g)].map((match) => match[1]);
    expect(kinds).toEqual([
      "baseline",
      "baseline",
      "fault",
      "proven",
      "detected",
      "alert",
      "runbook",
      "runbook",
      "recovered",
      "recovered",
      "healed",
    ]);
    expect(inconclusive).toContain('data-kind="other"');
    expect(textOf(passed)).toContain("alert fired: BackendDown 14.9s");
  });

  it("puts the labels of events moments apart in different rows", () => {
    const labels = [...passed.matchAll(/<text x="\d+" y="(\d+)" text-anchor="\w+"\s*>(fault|detected)/g)];
    expect(labels.map((match) => match[2])).toEqual(["fault", "fault", "detected"]);
    expect(new Set(labels.map((match) => match[1])).size).toBe(3);
  });
});

describe("text from the journals", () => {
  it("is escaped, in UTF-8: command output cannot become markup", () => {
    expect(page).toMatch(/<meta charset="utf-8"/);
    expect(page).not.toContain("<script");
    expect(passed).toContain(
      "<pre>&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;\n</pre>",
    );
    expect(passed).toContain("<pre>curl: (7) Не удалось подключиться к серверу\n</pre>");
  });

  it("keeps runbook output collapsed under its command and exit code", () => {
    const runbook = passed.slice(passed.indexOf("<h4>Runbook</h4>"));
    expect(textOf(runbook)).toMatch(
      /^Runbook curl http:\/\/localhost:8000\/health exit 7 at 15s, took 0.01s output &lt;script&gt;/,
    );
    expect(runbook.match(/<details>\s*<summary>output<\/summary>/g)).toHaveLength(2);
  });

  it("refers to nothing outside the page", () => {
    expect(page).not.toMatch(/\b(src|href)=|url\(|@import|<link|<script|<iframe/i);
  });
});

describe("the trend", () => {
  it("lists this run and the three before it with their verdict counts, newest first", () => {
    const runs = trend.slice(trend.indexOf('<table class="runs">'), trend.indexOf("</table>"));
    const rows = runs.split("<tr").slice(2).map(textOf);
    expect(rows).toEqual([
      'class="this-run"> 2026-11-26 09:00 UTC (this run) container 1 1 1 1',
      'class=""> 2026-11-25 09:00 UTC container 0 3 0 0',
      'class=""> 2026-11-24 09:00 UTC container 1 0 3 0',
      'class=""> 2026-11-23 09:00 UTC container 0 3 0 0',
    ]);
  });

  it("shows each test's verdicts and times to detect and recover across the runs", () => {
    const nginx = trend.slice(trend.indexOf("nginx-502 &gt; "), trend.indexOf("port-8000-conflict &gt; "));
    const verdicts = [...nginx.matchAll(/<span class="dot (\w+)"/g)].map((match) => match[1]);
    expect(verdicts).toEqual(["passed", "failed", "passed", "passed"]);
    expect(nginx).toContain("<title>2s → 1.6s → 1.2s → 0.42s</title>");
    expect(nginx).toContain("<title>20s → 16s → 12s → 14.25s</title>");
  });
});

describe("runbook coverage", () => {
  const coverage = page.slice(page.indexOf("<h2>Runbook coverage</h2>"), page.indexOf("<h2>Trend</h2>"));

  it("lists the runbook's commands with the tests that ran them verbatim, and those nobody ran", () => {
    expect(textOf(coverage)).toMatch(
      /^Runbook coverage 2 of \d+ runbook commands run verbatim by a scenario/,
    );
    const rows = coverage.split("<tr").slice(2);
    const curl = rows.find((row) => row.includes("<code>curl http://localhost:8000/health</code>")) ?? "";
    expect(textOf(curl)).toMatch(/nginx-502 &gt; backend stopped.* \(exit 7, passed\)$/);
    expect(rows.filter((row) => row.startsWith(' class="not-run"')).length).toBe(rows.length - 2);
  });
});
