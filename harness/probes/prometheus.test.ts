import { expect, it } from "vitest";
import { longestScrapeInterval } from "./prometheus.ts";

it("takes the longest scrape interval of the global one and the jobs' own, Prometheus' 1m by default", () => {
  expect(longestScrapeInterval({})).toBe(60);
  expect(
    longestScrapeInterval({ global: { scrape_interval: "5s" }, scrape_configs: [{ job_name: "a" }] }),
  ).toBe(5);
  expect(
    longestScrapeInterval({
      global: { scrape_interval: "15s" },
      scrape_configs: [{ job_name: "a", scrape_interval: "30s" }, { job_name: "b" }],
    }),
  ).toBe(30);
});
