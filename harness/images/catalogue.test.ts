import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { CATALOGUE, parseImageMode, parseService, SERVICES } from "./catalogue.ts";

describe("image catalogue", () => {
  it("maps every service in both modes", () => {
    for (const service of SERVICES) {
      expect(Object.keys(CATALOGUE[service]).sort()).toEqual(["offline", "online"]);
    }
  });

  it("says Grafana has no offline image and why, instead of faking one", () => {
    const grafana = CATALOGUE.grafana.offline;
    expect(grafana.kind).toBe("unavailable");
    expect(grafana.kind === "unavailable" && grafana.reason).toMatch(/^no image offline: .*AGPL/);
  });

  it("builds every other service offline from a recipe, and pulls official images online", () => {
    for (const service of SERVICES.filter((s) => s !== "grafana")) {
      expect(CATALOGUE[service].offline.kind).toBe("build");
    }
    expect(CATALOGUE.postgres.online).toEqual({ kind: "pull", ref: "postgres:15-alpine" });
    expect(CATALOGUE.redis.online).toEqual({ kind: "pull", ref: "redis:7-alpine" });
  });

  it("builds toxiproxy from the Go module proxy at a pinned version", () => {
    const toxiproxy = CATALOGUE.toxiproxy.offline;
    expect(toxiproxy.kind === "build" && toxiproxy.goBinaries?.map((b) => b.version)).toEqual([
      "v2.5.0",
      "v2.5.0",
    ]);
  });

  it("rejects an unknown mode or service naming the value and the choices", () => {
    expect(parseImageMode("online")).toBe("online");
    expect(() => parseImageMode("cloud")).toThrow(UsageError);
    expect(() => parseImageMode("cloud")).toThrow(
      'unknown image mode "cloud": expected one of offline, online',
    );
    expect(() => parseService("mysql")).toThrow(/unknown service "mysql": expected one of host, postgres/);
  });
});
