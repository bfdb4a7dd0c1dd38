import { describe, expect, it } from "vitest";
import { LINKS, redirectedUrl, upstreamOf } from "./links.ts";

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
