import { describe, expect, it } from "vitest";
import { runbookContradictions } from "./contradictions.ts";
import { parseSections, runbook, RunbookSections } from "./runbook.ts";

describe("the runbook", () => {
  it("has every section the harness cites", () => {
    for (const section of Object.values(RunbookSections))
      expect(() => runbook().section(section)).not.toThrow();
  });

  it("cites a quote with its line, and refuses a quote the section does not contain", () => {
    const citation = runbook().cite(RunbookSections.startOrder, "sleep 10");
    expect(citation).toEqual({
      section: "Порядок запуска › Правильный порядок",
      quote: "sleep 10",
      line: 226,
    });
    expect(() => runbook().cite(RunbookSections.startOrder, "sleep 5")).toThrow('does not say "sleep 5"');
    // A heading is part of its section: "04:00 UTC" is the runbook's claim about the timer.
    expect(runbook().cite(RunbookSections.timer, "Systemd Timer (04:00 UTC)").line).toBe(81);
  });

  it("gives its units, nginx block and commands as parsed code, not restated text", () => {
    const backend = runbook().unit("sattva-backend.service");
    expect(backend.get("Unit", "After")?.value).toBe("network.target postgresql.service redis.service");
    expect(backend.get("Service", "RestartSec")?.value).toBe("10");
    expect(runbook().unit("sattva-streamer.service").get("Service", "ExecStart")?.value).toContain("main.py");
    expect(() => runbook().unit("yt-dlp-update.service")).toThrow("gives no unit");
    expect(runbook().nginx.map((d) => d.name)).toEqual(["server"]);
    expect(runbook().composeUp.services).toEqual([
      "db",
      "redis",
      "frontend",
      "prometheus",
      "grafana",
      "alertmanager",
    ]);
    expect(runbook().commands(RunbookSections.startOrder)).toEqual([
      "cd /opt/sattva-streamer",
      "docker compose up -d db redis frontend prometheus grafana alertmanager",
      "sleep 10",
      "systemctl start sattva-backend",
      "systemctl start sattva-streamer",
      "systemctl status sattva-backend sattva-streamer",
      "docker ps",
    ]);
  });

  it("splits Markdown by headings, leaving '#' lines in code fences as code", () => {
    const sections = parseSections("# Title\n## A\ntext\n```bash\n# not a heading\n```\n### B\nmore\n");
    expect(sections.map((s) => [s.path, s.line])).toEqual([
      ["A", 2],
      ["A › B", 7],
    ]);
    expect(sections[0]?.code).toEqual([{ lang: "bash", text: "# not a heading", line: 5 }]);
  });

  it("lists its own contradictions as info findings at its lines", () => {
    const findings = runbookContradictions();
    expect(findings.length).toBeGreaterThanOrEqual(8);
    for (const finding of findings) {
      expect(finding).toMatchObject({
        severity: "info",
        kind: "runbook",
        file: "DEPLOYMENT_ARCHITECTURE.md",
      });
      expect(finding.line).toBe(finding.runbook.line);
    }
  });
});
