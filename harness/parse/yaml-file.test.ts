import { describe, expect, it } from "vitest";
import { whereIn, YamlFile } from "./yaml-file.ts";

const compose = new YamlFile(
  "compose.yml",
  'services:\n  db:\n    image: postgres\n    ports:\n      - "5432:5432"\n      - 6379:6379\n  redis:\n    environment:\n      PASSWORD: ${REDIS_PASSWORD}\n',
);

describe("YamlFile", () => {
  it("gives the line of a key path, or of the deepest part of it that exists", () => {
    expect(compose.lineOf(["services", "db"])).toBe(2);
    expect(compose.lineOf(["services", "db", "ports", 1])).toBe(6);
    expect(compose.lineOf(["services", "db", "volumes"])).toBe(2);
    expect(compose.lineOf(["networks"])).toBeUndefined();
    expect(compose.lineOfScalarContaining("${REDIS_PASSWORD")).toBe(9);
  });

  it("keeps syntax errors with their line and no data", () => {
    const broken = new YamlFile("x.yml", "a: 1\nb: [1, 2\nc: 3\n");
    expect(broken.data).toBeUndefined();
    expect(broken.errors.length).toBeGreaterThan(0);
    expect(broken.errors[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it("finds a key among merged files: the one that has most of the path, the later on a tie", () => {
    const override = new YamlFile("override.yml", "services:\n  db:\n    ports:\n      - 1:1\n");
    expect(whereIn([compose, override], ["services", "db", "ports", 0])).toEqual({
      file: "override.yml",
      line: 4,
    });
    expect(whereIn([compose, override], ["services", "db", "image"])).toEqual({
      file: "compose.yml",
      line: 3,
    });
    expect(whereIn([compose, override], ["volumes"])).toBeUndefined();
  });
});
