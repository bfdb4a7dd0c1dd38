import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { runbookContradictions } from "./contradictions.ts";
import {
  parseSections,
  referenceRunbook,
  runbook,
  RUNBOOK_FILE,
  runbookFor,
  RunbookSections,
  useRunbook,
} from "./runbook.ts";

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

describe("the runbook a checkout is judged by", () => {
  const reference = readFileSync(RUNBOOK_FILE, "utf8");
  const dirs: string[] = [];
  const checkout = (files: Record<string, string>) => {
    const dir = mkdtempSync(path.join(tmpdir(), "runbook-"));
    dirs.push(dir);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    return dir;
  };
  afterEach(() => {
    useRunbook(referenceRunbook());
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it("is --runbook, else the profile's, else the checkout's own, else the reference (saying why)", () => {
    const dir = checkout({ "docs/DEPLOYMENT_ARCHITECTURE.md": reference, "ops/runbook.md": reference });
    const found = ["docs/DEPLOYMENT_ARCHITECTURE.md"];
    expect(runbookFor(dir, { found }).runbook.name).toBe("docs/DEPLOYMENT_ARCHITECTURE.md");
    expect(runbookFor(dir, { profile: "ops/runbook.md", found }).runbook.name).toBe("ops/runbook.md");
    const explicit = path.join(dir, "ops/runbook.md");
    expect(runbookFor(dir, { explicit, profile: "x.md", found }).runbook.file).toBe(explicit);
    const none = runbookFor(dir, { found: [] });
    expect(none.runbook).toBe(referenceRunbook());
    expect(none.reference).toBe("the checkout has no DEPLOYMENT_ARCHITECTURE.md");
  });

  it("names the input when a runbook it was pointed at cannot be read or is not one", () => {
    const dir = checkout({ "notes.md": "just text, no sections\n" });
    expect(() => runbookFor(dir, { explicit: path.join(dir, "missing.md"), found: [] })).toThrow(
      /--runbook .*missing\.md: cannot be read \(ENOENT\)/,
    );
    expect(() => runbookFor(dir, { profile: "notes.md", found: [] })).toThrow(UsageError);
    // The checkout's own file that is no runbook is a finding, not bad input: the reference is used.
    const own = runbookFor(checkout({ "DEPLOYMENT_ARCHITECTURE.md": "nothing\n" }), {
      found: ["DEPLOYMENT_ARCHITECTURE.md"],
    });
    expect(own.runbook).toBe(referenceRunbook());
    expect(own.reference).toMatch(/no "##" section in it/);
  });

  it("reads the checkout's words, and cites the reference, marked so, where they are gone", () => {
    // A team fixed the start order (no sleep 10) and renamed the nginx section.
    const edited = reference
      .replace("sleep 10\n", "until pg_isready -h localhost; do sleep 1; done\n")
      .replace("## Конфигурация Nginx (Frontend)", "## Nginx");
    const dir = checkout({ "DEPLOYMENT_ARCHITECTURE.md": edited });
    const { runbook: own } = runbookFor(dir, { found: ["DEPLOYMENT_ARCHITECTURE.md"] });
    useRunbook(own);
    expect(runbook().commands(RunbookSections.startOrder)).toContain(
      "until pg_isready -h localhost; do sleep 1; done",
    );
    expect(own.says(RunbookSections.startOrder, "sleep 10")).toBeUndefined();
    expect(own.cite(RunbookSections.startOrder, "sleep 10")).toMatchObject({
      source: "reference",
      line: 226,
    });
    expect(own.cite(RunbookSections.startOrder, "docker compose up -d")).not.toHaveProperty("source");
    // A section it renamed is read from the reference: the audit still knows the runbook's nginx block.
    expect(own.nginx.map((d) => d.name)).toEqual(["server"]);
    // The contradiction it corrected is gone; the others stay, at its own file.
    const ids = runbookContradictions().map((f) => f.id);
    expect(ids).not.toContain("runbook.sleep-10");
    expect(ids).toContain("runbook.cron");
    expect(runbookContradictions().every((f) => f.file === "DEPLOYMENT_ARCHITECTURE.md")).toBe(true);
  });
});
