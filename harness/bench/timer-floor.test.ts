import { describe, expect, it } from "vitest";
import { parseNginxConf } from "../parse/nginx-conf.ts";
import { UnitFile } from "../parse/unit-file.ts";
import { YamlFile } from "../parse/yaml-file.ts";
import type { Journal } from "../report/journal.ts";
import { deploymentTimers, durationSeconds, timerFloor, timerWaits } from "./timer-floor.ts";

const RULES = `groups:
  - name: sattva
    rules:
      - alert: BackendDown
        expr: up{job="sattva-backend"} == 0
        for: 1m30s
      - alert: InstantAlert
        expr: vector(1)
      - record: not_an_alert
        expr: vector(1)
`;

function timers(nginx = "server { location /api/ { proxy_read_timeout 45s; } }") {
  return deploymentTimers({
    rules: [new YamlFile("monitoring/alert-rules.yml", RULES)],
    allUnits: [
      new UnitFile("sattva-backend.service", [
        { file: "systemd/sattva-backend.service", text: "[Service]\nRestart=always\nRestartSec=7\n" },
      ]),
      new UnitFile("sattva-streamer.service", [
        { file: "systemd/sattva-streamer.service", text: "[Service]\n" },
      ]),
    ],
    nginx: { file: "frontend/nginx.conf", directives: parseNginxConf(nginx) },
  });
}

function journal(timeline: Journal["timeline"]): Journal {
  return {
    scenario: "s",
    test: "t",
    verdict: { status: "passed" },
    startedAt: "",
    stack: "",
    host: "",
    results: {},
    timeline,
    runbook: [],
  };
}

describe("deployment timers", () => {
  it("reads durations as Prometheus and nginx write them", () => {
    expect(durationSeconds("10s")).toBe(10);
    expect(durationSeconds("1m30s")).toBe(90);
    expect(durationSeconds("60")).toBe(60);
    expect(durationSeconds("500ms")).toBe(0.5);
    expect(durationSeconds("soon")).toBeUndefined();
  });

  it("come from the stack's rules, units and nginx, with the tools' defaults where unset", () => {
    const read = timers();
    expect(read.alertFor).toEqual(
      new Map([
        ["BackendDown", 90],
        ["InstantAlert", 0],
      ]),
    );
    expect(read.restartSec).toEqual(
      new Map([
        ["sattva-backend", 7],
        ["sattva-streamer", 0.1],
      ]),
    );
    expect(read.proxyReadTimeout).toBe(45);
    expect(timers("server { listen 3000; }").proxyReadTimeout).toBe(60);
  });

  it("give each test the longest timer its journal shows it waited out, and 0 for none", () => {
    const waited = journal([
      { atMs: 1000, label: "fault injected", detail: "sattva-backend stopped" },
      { atMs: 13000, label: "alert fired", detail: "BackendDown" },
      { atMs: 14000, label: "seen", detail: "sattva-backend restarted by systemd (NRestarts > 0)" },
      { atMs: 70000, label: "nginx answered", detail: "504 after 45.1 s" },
      { atMs: 71000, label: "alert fired", detail: "NotInTheRules" },
    ]);
    expect(timerWaits(waited, timers()).map((w) => w.timer)).toEqual([
      "BackendDown for: 90s",
      "sattva-backend RestartSec=7s",
      "proxy_read_timeout 45s",
    ]);
    expect(timerFloor(waited, timers())).toBe(90);
    expect(
      timerFloor(journal([{ atMs: 5, label: "nginx answered", detail: "200 after 0.1 s" }]), timers()),
    ).toBe(0);
  });
});
