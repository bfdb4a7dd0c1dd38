import { describe, expect, it } from "vitest";
import { parseNginxConf } from "../parse/nginx-conf.ts";
import { UnitFile } from "../parse/unit-file.ts";
import { YamlFile } from "../parse/yaml-file.ts";
import type { Journal } from "../report/journal.ts";
import { deploymentTimers, timerFloor, timerWaits } from "./timer-floor.ts";

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

function timers(
  nginx = "server { location /api/ { proxy_read_timeout 45s; } }",
  monitoring: { prometheus?: string; alertmanager?: string } = {
    prometheus: "global:\n  scrape_interval: 4s\n  evaluation_interval: 2s\n",
    alertmanager: "route:\n  receiver: r\n  group_wait: 1s\n",
  },
) {
  return deploymentTimers({
    prometheus:
      monitoring.prometheus === undefined
        ? undefined
        : new YamlFile("monitoring/prometheus.yml", monitoring.prometheus),
    alertmanager:
      monitoring.alertmanager === undefined
        ? undefined
        : new YamlFile("monitoring/alertmanager.yml", monitoring.alertmanager),
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
    // Half a scrape and half an evaluation to see the failure, then Alertmanager's group_wait.
    expect(read.alertDelay).toBe(2 + 1 + 1);
    expect(timers(undefined, {}).alertDelay).toBe(30 + 30 + 30);
  });

  it("give each test the time its journal shows it waited on timers, overlaps once, and 0 for none", () => {
    const waited = journal([
      { atMs: 1000, label: "fault injected", detail: "sattva-backend stopped" },
      { atMs: 14000, label: "seen", detail: "sattva-backend restarted by systemd (NRestarts > 0)" },
      { atMs: 96000, label: "alert fired", detail: "BackendDown" },
      { atMs: 150000, label: "nginx answered", detail: "504 after 45.1 s" },
      { atMs: 151000, label: "alert fired", detail: "NotInTheRules" },
    ]);
    expect(timerWaits(waited, timers()).map((w) => w.timer)).toEqual([
      "sattva-backend RestartSec=7s",
      "BackendDown for: 90s + 4s to raise it",
      "proxy_read_timeout 45s",
    ]);
    // The restart's 7 s within BackendDown's 94 s (ending at 96 s), then nginx's 45 s (ending at 150 s).
    expect(timerFloor(waited, timers())).toBeCloseTo(94 + 45);
    expect(
      timerFloor(journal([{ atMs: 5, label: "nginx answered", detail: "200 after 0.1 s" }]), timers()),
    ).toBe(0);
  });

  it("count a fault the scenario holds for a stated time, over the alerts that fire meanwhile", () => {
    const held = journal([
      { atMs: 1000, label: "fault injected", detail: "partition" },
      { atMs: 20000, label: "alert fired", detail: "InstantAlert" },
      { atMs: 31000, label: "held", detail: "30 s: the partition, as the test says" },
    ]);
    expect(timerWaits(held, timers()).map((w) => w.seconds)).toEqual([4, 30]);
    expect(timerFloor(held, timers())).toBe(30);
    const oneAfterAnother = journal([
      { atMs: 12000, label: "held", detail: "12 s: the first step" },
      { atMs: 30000, label: "held", detail: "12 s: the second step" },
    ]);
    expect(timerFloor(oneAfterAnother, timers())).toBe(24);
  });

  it("count the runbook's own sleep, run as written", () => {
    const slept = journal([
      { atMs: 3000, label: "runbook: docker compose up -d db redis", detail: "exit 0" },
      { atMs: 13100, label: "runbook: sleep 10", detail: "exit 0" },
    ]);
    expect(timerWaits(slept, timers()).map((w) => w.timer)).toEqual(["the runbook's sleep 10"]);
    expect(timerFloor(slept, timers())).toBe(10);
  });
});
