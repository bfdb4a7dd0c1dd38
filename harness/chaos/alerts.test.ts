import { describe, expect, it } from "vitest";
import { AlertmanagerConfig } from "./alerts.ts";

const CONFIG = `
route:
  receiver: oncall
  routes:
    - receiver: harness
receivers:
  - name: oncall
    telegram_configs:
      - bot_token_file: /etc/alertmanager/bot-token
        chat_id: -100123
  - name: harness
    webhook_configs:
      - url: http://172.17.0.1:9095/alerts
  - name: elsewhere
    webhook_configs:
      - url: http://hooks.example.org:9095/alerts
  - name: blackhole
`;

describe("AlertmanagerConfig", () => {
  const config = new AlertmanagerConfig(CONFIG);

  it("names the top route's receiver and where each receiver sends", () => {
    expect(config.topReceiver).toBe("oncall");
    expect(config.sinksOf("oncall")).toEqual(["telegram_configs"]);
    expect(config.sinksOf("blackhole")).toEqual([]);
    expect(config.describe("oncall")).toBe("oncall (telegram_configs)");
    expect(config.describe("blackhole")).toBe("blackhole (sends nowhere)");
  });

  it("reads only a webhook to the harness's own receiver on the host as read by the harness", () => {
    expect(config.readByHarness("harness")).toBe(true);
    expect(config.readByHarness("oncall")).toBe(false);
    expect(config.readByHarness("elsewhere")).toBe(false);
    expect(config.readByHarness("no such receiver")).toBe(false);
  });

  it("takes the longest group_wait of any route, inherited by children, 30 s by default", () => {
    expect(new AlertmanagerConfig("route:\n  receiver: a\n").longestGroupWait).toBe(30);
    expect(
      new AlertmanagerConfig(
        "route:\n  receiver: a\n  group_wait: 5s\n  routes:\n    - receiver: b\n      group_wait: 1m\n    - receiver: c\n",
      ).longestGroupWait,
    ).toBe(60);
    expect(
      new AlertmanagerConfig("route:\n  receiver: a\n  group_wait: 2s\n  routes:\n    - receiver: b\n")
        .longestGroupWait,
    ).toBe(2);
  });

  it("reads an empty or broken configuration as routing nowhere", () => {
    expect(new AlertmanagerConfig("").topReceiver).toBe("");
    expect(new AlertmanagerConfig("route: [").sinksOf("oncall")).toEqual([]);
  });
});
