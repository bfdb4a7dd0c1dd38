import { looseList, looseObject, looseText, type LooseObject } from "../parse/loose-json.ts";
import { durationSeconds } from "../parse/duration.ts";
import { YamlFile } from "../parse/yaml-file.ts";
import { httpGetJson } from "../probes/http.ts";
import type { Stack } from "../stack/stack.ts";

/** Where the test double receiving Alertmanager's webhooks appends each notification. */
const ALERTS_LOG = "/var/lib/sattva-chaos/alerts.jsonl";

export interface ReceivedAlert {
  readonly name: string;
  readonly status: "firing" | "resolved";
  /** When the receiver got the notification, in seconds since the epoch (host clock). */
  readonly receivedAt: number;
  /** When Prometheus says the alert started firing, in seconds since the epoch (host clock). */
  readonly startsAt: number;
}

interface Notification {
  received: number;
  notification: {
    alerts: { status: "firing" | "resolved"; labels: { alertname: string }; startsAt: string }[];
  };
}

/** Every alert Alertmanager delivered to the harness's receiver on the host since `sinceEpoch`. */
export async function receivedAlerts(stack: Stack, sinceEpoch: number): Promise<ReceivedAlert[]> {
  const log = await stack.host.run(`cat ${ALERTS_LOG} 2>/dev/null || true`);
  return log.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Notification)
    .filter((entry) => entry.received >= sinceEpoch)
    .flatMap((entry) =>
      entry.notification.alerts.map((alert) => ({
        name: alert.labels.alertname,
        status: alert.status,
        receivedAt: entry.received,
        startsAt: Date.parse(alert.startsAt) / 1000,
      })),
    );
}

/** The host's clock in seconds since the epoch (alerts are stamped with it). */
export async function hostNow(stack: Stack): Promise<number> {
  return Number((await stack.host.run("date +%s.%N")).stdout);
}

/** Where the harness's own alert receiver (fixtures/test-doubles/alert-receiver.py) listens on a host it makes. */
const HARNESS_RECEIVER = { hostname: "172.17.0.1", port: "9095" } as const;

/**
 * Alertmanager's configuration as it runs (the file it loaded, as its API returns it): which receiver
 * the top route pages, and where each receiver sends.
 */
export class AlertmanagerConfig {
  readonly #data: LooseObject;

  constructor(yaml: string) {
    this.#data = looseObject(new YamlFile("alertmanager", yaml).data);
  }

  /** The receiver of the top route: every alert no child route takes goes there. */
  get topReceiver(): string {
    return looseText(looseObject(this.#data["route"])["receiver"]);
  }

  /** The kinds of notification a receiver sends (webhook_configs, telegram_configs…); none: it pages nobody. */
  sinksOf(receiver: string): string[] {
    return Object.entries(this.#receiver(receiver))
      .filter(([key, value]) => key.endsWith("_configs") && looseList(value).length > 0)
      .map(([key]) => key);
  }

  /** Whether the receiver posts to the harness's own receiver on the host, which the harness reads. */
  readByHarness(receiver: string): boolean {
    return looseList(this.#receiver(receiver)["webhook_configs"]).some((webhook) => {
      const url = looseText(looseObject(webhook)["url"]);
      if (!URL.canParse(url)) return false;
      const { hostname, port } = new URL(url);
      return hostname === HARNESS_RECEIVER.hostname && port === HARNESS_RECEIVER.port;
    });
  }

  /**
   * The longest `group_wait` of any route (children inherit their parent's; Alertmanager's default is
   * 30 s): how long a new alert may wait before its first notification, in seconds.
   */
  get longestGroupWait(): number {
    const longest = (route: LooseObject, inherited: number): number => {
      const own = durationSeconds(looseText(route["group_wait"], "")) ?? inherited;
      return Math.max(own, ...looseList(route["routes"]).map((child) => longest(looseObject(child), own)));
    };
    return longest(looseObject(this.#data["route"]), 30);
  }

  /** "telegram (telegram_configs)", as results name a receiver. */
  describe(receiver: string): string {
    const sinks = this.sinksOf(receiver);
    return `${receiver}${sinks.length > 0 ? ` (${sinks.join(", ")})` : " (sends nowhere)"}`;
  }

  #receiver(name: string): LooseObject {
    return looseObject(
      looseList(this.#data["receivers"])
        .map(looseObject)
        .find((receiver) => receiver["name"] === name),
    );
  }
}

/** The configuration the stack's Alertmanager runs with. */
export async function runningAlertmanagerConfig(stack: Stack): Promise<AlertmanagerConfig> {
  const { json } = await httpGetJson(await stack.serviceUrl("alertmanager", 9093, "/api/v2/status"));
  return new AlertmanagerConfig(looseText(looseObject(looseObject(json)["config"])["original"]));
}

/** An alert Alertmanager holds as active (neither silenced nor inhibited), and the receivers it routes it to. */
export interface RoutedAlert {
  readonly name: string;
  /** When Prometheus says it started firing, in seconds since the epoch (host clock). */
  readonly startsAt: number;
  readonly receivers: readonly string[];
}

/** The alerts the stack's Alertmanager routes now: what pages someone, whether or not the harness can read the receiver. */
export async function routedAlerts(stack: Stack): Promise<RoutedAlert[]> {
  const url = await stack.serviceUrl(
    "alertmanager",
    9093,
    "/api/v2/alerts?active=true&silenced=false&inhibited=false&unprocessed=false",
  );
  const { status, json } = await httpGetJson(url);
  if (status !== 200) throw new Error(`Alertmanager GET /api/v2/alerts: ${status}`);
  return looseList(json)
    .map(looseObject)
    .map((alert) => ({
      name: looseText(looseObject(alert["labels"])["alertname"]),
      startsAt: Date.parse(looseText(alert["startsAt"])) / 1000,
      receivers: looseList(alert["receivers"]).map((receiver) => looseText(looseObject(receiver)["name"])),
    }));
}
