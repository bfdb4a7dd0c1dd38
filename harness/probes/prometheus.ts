import type { Stack } from "../stack/stack.ts";
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
