import type { Stack } from "../stack/stack.ts";
import { looseList, looseObject, looseText } from "../parse/loose-json.ts";
import { httpGetJson } from "./http.ts";

/** A scrape target as Prometheus' API describes it. */
export interface ScrapeTargetState {
  readonly labels: { readonly job: string };
  readonly scrapeUrl: string;
  /** "up", "down" or "unknown" (not scraped yet). */
  readonly health: string;
  readonly lastError: string;
}

/** The targets the stack's Prometheus scrapes now, with how their last scrape went. */
export async function activeTargets(stack: Stack): Promise<ScrapeTargetState[]> {
  const { status, json } = await httpGetJson(await stack.serviceUrl("prometheus", 9090, "/api/v1/targets"));
  if (status !== 200) throw new Error(`Prometheus GET /api/v1/targets: ${status}`);
  return (json as { data: { activeTargets: ScrapeTargetState[] } }).data.activeTargets;
}

/** An alert Prometheus' rules hold now (pending or firing), and when its current activation began. */
export interface RuleAlert {
  readonly name: string;
  readonly state: string;
  /** Seconds since the epoch (host clock). */
  readonly activeAt: number;
}

/** The alerts the stack's Prometheus evaluates as pending or firing now. */
export async function ruleAlerts(stack: Stack): Promise<RuleAlert[]> {
  const { status, json } = await httpGetJson(await stack.serviceUrl("prometheus", 9090, "/api/v1/alerts"));
  if (status !== 200) throw new Error(`Prometheus GET /api/v1/alerts: ${status}`);
  return looseList(looseObject(looseObject(json)["data"])["alerts"])
    .map(looseObject)
    .map((alert) => ({
      name: looseText(looseObject(alert["labels"])["alertname"]),
      state: looseText(alert["state"]),
      activeAt: Date.parse(looseText(alert["activeAt"])) / 1000,
    }));
}
