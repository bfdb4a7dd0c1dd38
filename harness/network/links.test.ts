import { describe, expect, it } from "vitest";
import { clientVariables, LINKS, redirectedUrl, upstreamOf } from "./links.ts";

describe("redirectedUrl", () => {
  it("points a PostgreSQL URL at the link's proxy, keeping credentials, database and options", () => {
    expect(
      redirectedUrl(
        "postgresql://sattva:s3cret@localhost:5432/sattva?sslmode=disable",
        LINKS["backend-postgres"],
      ),
    ).toBe("postgresql://sattva:s3cret@127.0.0.1:15432/sattva?sslmode=disable");
  });

  it("points a Redis URL without a port at the link's proxy", () => {
    expect(redirectedUrl("redis://127.0.0.1/0", LINKS["streamer-redis"])).toBe("redis://127.0.0.1:16380/0");
  });

  it("gives every link a proxy port of its own", () => {
    const listens = Object.values(LINKS).map((link) => link.listen);
    expect(new Set(listens).size).toBe(listens.length);
  });
});

describe("upstreamOf", () => {
  it("forwards to the server the client's URL names, on its own port", () => {
    expect(upstreamOf("postgresql://app:pw@127.0.0.1:5433/app", LINKS["backend-postgres"])).toBe(
      "127.0.0.1:5433",
    );
    expect(upstreamOf("postgresql+asyncpg://app:pw@localhost/app", LINKS["backend-postgres"])).toBe(
      "localhost:5432",
    );
  });

  it("takes the link's default port when the URL gives none", () => {
    expect(upstreamOf("redis://:s3cret@127.0.0.1/0", LINKS["backend-redis"])).toBe("127.0.0.1:6379");
  });
});

describe("clientVariables", () => {
  const env = (entries: Record<string, string>) => new Map(Object.entries(entries));

  it("takes the usual variable when the unit sets it", () => {
    expect(
      clientVariables(env({ DATABASE_URL: "postgresql://a@db:5433/x" }), LINKS["backend-postgres"]),
    ).toEqual([{ variable: "DATABASE_URL", url: "postgresql://a@db:5433/x" }]);
  });

  it("finds a variable of another name by the URL it holds", () => {
    expect(
      clientVariables(
        env({ PATH: "/usr/bin", POSTGRES_DSN: "postgresql+asyncpg://a:b@127.0.0.1/x", BOT_TOKEN: "1:2" }),
        LINKS["backend-postgres"],
      ),
    ).toEqual([{ variable: "POSTGRES_DSN", url: "postgresql+asyncpg://a:b@127.0.0.1/x" }]);
  });

  it("routes every variable on the same server through the link, and none on another", () => {
    expect(
      clientVariables(
        env({
          CELERY_BROKER_URL: "redis://127.0.0.1:6379/1",
          CACHE_URL: "redis://10.0.0.5:6379/0",
          SESSION_REDIS: "redis://127.0.0.1:6379/2",
        }),
        LINKS["backend-redis"],
      ),
    ).toEqual([
      { variable: "CELERY_BROKER_URL", url: "redis://127.0.0.1:6379/1" },
      { variable: "SESSION_REDIS", url: "redis://127.0.0.1:6379/2" },
    ]);
  });

  it("falls back to the usual name and the app's default when nothing holds such a URL", () => {
    expect(clientVariables(env({ PATH: "/usr/bin" }), LINKS["streamer-redis"])).toEqual([
      { variable: "REDIS_URL", url: "redis://127.0.0.1:6379/0" },
    ]);
  });
});
