import type { Stack } from "../stack/stack.ts";

/** Where the test double receiving Alertmanager's webhooks appends each notification. */
const ALERTS_LOG = "/var/lib/sattva-chaos/alerts.jsonl";

export interface ReceivedAlert {
  readonly name: string;
  readonly status: "firing" | "resolved";
  /** When the receiver got the notification, in seconds since the epoch (host clock). */
  readonly receivedAt: number;
}

interface Notification {
  received: number;
  notification: { alerts: { status: "firing" | "resolved"; labels: { alertname: string } }[] };
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
      })),
    );
}

/** The host's clock in seconds since the epoch (alerts are stamped with it). */
export async function hostNow(stack: Stack): Promise<number> {
  return Number((await stack.host.run("date +%s.%N")).stdout);
}
