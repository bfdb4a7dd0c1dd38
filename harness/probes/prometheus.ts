import type { Stack } from "../stack/stack.ts";
import { durationSeconds } from "../parse/duration.ts";
import { looseList, looseObject, looseText, type LooseObject } from "../parse/loose-json.ts";
import { YamlFile } from "../parse/yaml-file.ts";
import { httpGetJson } from "./http.ts";

/** The `data` of a GET of Prometheus' API at `path`; throws naming the path on any status but 200. */
async function prometheusData(stack: Stack, path: string): Promise<LooseObject> {
  const { status, json } = await httpGetJson(await stack.serviceUrl("prometheus", 9090, path));
  if (status !== 200) throw new Error(`Prometheus GET ${path}: ${status}`);
  return looseObject(looseObject(json)["data"]);
}

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
  const data = await prometheusData(stack, "/api/v1/targets");
  return data["activeTargets"] as ScrapeTargetState[];
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
  return looseList((await prometheusData(stack, "/api/v1/alerts"))["alerts"])
    .map(looseObject)
    .map((alert) => ({
      name: looseText(looseObject(alert["labels"])["alertname"]),
      state: looseText(alert["state"]),
      activeAt: Date.parse(looseText(alert["activeAt"])) / 1000,
    }));
}

/** The configuration the stack's Prometheus runs with (the file it loaded, as its API returns it). */
export async function runningPrometheusConfig(stack: Stack): Promise<LooseObject> {
  const data = await prometheusData(stack, "/api/v1/status/config");
  return looseObject(new YamlFile("prometheus", looseText(data["yaml"])).data);
}

/** The longest interval at which Prometheus scrapes a job (its global one, or a job's own), in seconds. */
export function longestScrapeInterval(config: LooseObject): number {
  const seconds = (value: unknown) => durationSeconds(looseText(value, "")) ?? 60;
  const global = seconds(looseObject(config["global"])["scrape_interval"]);
  return Math.max(
    global,
    ...looseList(config["scrape_configs"]).map((job) => {
      const own = looseObject(job)["scrape_interval"];
      return own === undefined ? global : seconds(own);
    }),
  );
}

/** An alerting rule as Prometheus runs it: its `for:` window and its group's evaluation interval, in seconds. */
export interface AlertingRule {
  readonly name: string;
  readonly forSeconds: number;
  readonly evaluationSeconds: number;
}

/** The alerting rules the stack's Prometheus evaluates. */
export async function alertingRules(stack: Stack): Promise<AlertingRule[]> {
  return looseList((await prometheusData(stack, "/api/v1/rules?type=alert"))["groups"])
    .map(looseObject)
    .flatMap((group) =>
      looseList(group["rules"])
        .map(looseObject)
        .map((rule) => ({
          name: looseText(rule["name"]),
          forSeconds: Number(rule["duration"] ?? 0),
          evaluationSeconds: Number(group["interval"] ?? 60),
        })),
    );
}

/**
 * What Prometheus' own timing is made of, as it runs: its longest scrape interval (undefined when its
 * configuration cannot be read) and its alerting rules (none when they cannot be read).
 */
export async function prometheusTiming(
  stack: Stack,
): Promise<{ readonly scrapeSeconds: number | undefined; readonly rules: readonly AlertingRule[] }> {
  const [scrapeSeconds, rules] = await Promise.all([
    runningPrometheusConfig(stack)
      .then(longestScrapeInterval)
      .catch(() => undefined),
    alertingRules(stack).catch(() => []),
  ]);
  return { scrapeSeconds, rules };
}
