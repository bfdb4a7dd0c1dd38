import { describe, expect, it } from "vitest";
import { LINKS, redirectedUrl } from "./links.ts";

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
