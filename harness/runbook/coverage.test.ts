import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  describeCoverage,
  describeRuns,
  runbookCommands,
  runbookCoverage,
  type JournalSteps,
} from "./coverage.ts";
import { Runbook, RUNBOOK_FILE, RunbookSections } from "./runbook.ts";

const markdown = readFileSync(RUNBOOK_FILE, "utf8");
const bundled = new Runbook(markdown, RUNBOOK_FILE);

const journal = (commands: [string, number][], status: "passed" | "failed" = "passed"): JournalSteps => ({
  scenario: "nginx-502",
  test: "backend stopped",
  verdict: { status },
  runbook: commands.map(([command, exitCode]) => ({ command, exitCode })),
});

describe("runbookCommands", () => {
  it("reads every distinct command of the runbook's bash blocks, in order, with its section and line", () => {
    const commands = runbookCommands(bundled);
    expect(commands.map((c) => c.command)).toEqual([...new Set(commands.map((c) => c.command))]);
    expect(commands[0]).toMatchObject({ command: "systemctl enable --now yt-dlp-update.timer" });
    const lsof = commands.find((c) => c.command === "lsof -i :8000");
    expect(lsof?.section).toBe(RunbookSections.port8000);
    expect(markdown.split("\n")[(lsof?.line ?? 0) - 1]).toBe("lsof -i :8000");
    // Comments are not commands; the update script is a file the timer runs, not typed.
    expect(commands.some((c) => c.command.includes("#") || c.command.startsWith("echo"))).toBe(false);
    expect(commands.map((c) => c.command)).toContain("journalctl -u sattva-backend -f");
  });

  it("follows the runbook: a command added or removed in a copy changes the list", () => {
    const edited = new Runbook(
      markdown
        .replace("lsof -i :8000\n", "lsof -i :8000\nss -ltnp 'sport = :8000'\n")
        .replace("docker ps\n", ""),
      "edited.md",
    );
    const before = runbookCommands(bundled).map((c) => c.command);
    const after = runbookCommands(edited).map((c) => c.command);
    expect(after.filter((c) => !before.includes(c))).toEqual(["ss -ltnp 'sport = :8000'"]);
    // `docker ps` appears twice in the runbook: removing its first appearance moves it to the second.
    expect(after).toContain("docker ps");
    const removed = new Runbook(markdown.replaceAll("lsof -i :8000\n", ""), "removed.md");
    expect(runbookCommands(removed).map((c) => c.command)).not.toContain("lsof -i :8000");
  });
});

describe("runbookCoverage", () => {
  it("names the tests that ran each command verbatim, with the exit code and the test's verdict", () => {
    const rows = runbookCoverage(bundled, [
      journal([
        ["curl http://localhost:8000/health", 7],
        ["lsof  -i :8000", 0],
        ["cd /opt/sattva-streamer && docker ps", 0],
      ]),
    ]);
    const row = (command: string) => rows.find((r) => r.command === command);
    expect(row("curl http://localhost:8000/health")?.runs).toEqual([
      { scenario: "nginx-502", test: "backend stopped", exitCode: 7, verdict: "passed" },
    ]);
    expect(row("lsof -i :8000")?.runs).toHaveLength(1);
    // Not verbatim: a command wrapped in another is not the runbook's.
    expect(row("docker ps")?.runs).toEqual([]);
    expect(describeCoverage(rows)).toBe(`2 of ${rows.length} runbook commands run verbatim by a scenario`);
  });

  it("names a command run only adapted to the host, with why, and never counts it as run verbatim", () => {
    const up = "docker compose up -d db redis frontend prometheus grafana alertmanager";
    const adapted = {
      ran: "docker compose up -d db redis frontend prometheus alertmanager",
      why: "grafana: skipped: needs image grafana offline",
    };
    const rows = runbookCoverage(bundled, [
      { ...journal([]), runbook: [{ command: up, exitCode: 0, adapted }] },
    ]);
    const row = rows.find((r) => r.command === up);
    expect(row && describeRuns(row)).toBe(
      `nginx-502 > backend stopped (not as written: ran \`${adapted.ran}\` (${adapted.why}), exit 0, passed)`,
    );
    expect(describeCoverage(rows)).toBe(
      `0 of ${rows.length} runbook commands run verbatim by a scenario; 1 only adapted to this host (why in its row)`,
    );
  });

  it("counts a runbook command run as the test's fault", () => {
    const rows = runbookCoverage(bundled, [
      { ...journal([]), faults: [{ params: { runbookCommand: "docker compose up -d backend" } }] },
    ]);
    const row = rows.find((r) => r.command === "docker compose up -d backend");
    expect(row?.runs).toEqual([{ scenario: "nginx-502", test: "backend stopped", verdict: "passed" }]);
    expect(row && describeRuns(row)).toBe("nginx-502 > backend stopped (as the fault, passed)");
  });

  it("names a fault's runbook command typed with the checkout's names as adapted", () => {
    const adapted = {
      ran: "docker compose -f deploy/compose.yaml up -d backend",
      why: "this checkout's names",
    };
    const rows = runbookCoverage(bundled, [
      { ...journal([]), faults: [{ params: { runbookCommand: "docker compose up -d backend" }, adapted }] },
    ]);
    const row = rows.find((r) => r.command === "docker compose up -d backend");
    expect(row && describeRuns(row)).toBe(
      `nginx-502 > backend stopped (not as written: ran \`${adapted.ran}\` (${adapted.why}), as the fault, passed)`,
    );
  });
});
