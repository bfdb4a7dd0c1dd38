import { expect, it } from "vitest";
import { firstDebianMirror } from "./debian-base.ts";

it("finds the main Debian archive in deb822 sources, skipping other repositories and the security archive", () => {
  const sources = [
    "Types: deb",
    "URIs: https://deb.nodesource.com/node_20.x",
    "URIs: http://deb.debian.org/debian-security",
    "URIs: http://mirror.example/debian/",
    "Suites: bookworm",
  ].join("\n");
  expect(firstDebianMirror(sources)).toBe("http://mirror.example/debian");
});

it("finds it in one-line sources, with or without options", () => {
  expect(firstDebianMirror("deb [arch=amd64] http://ftp.de.debian.org/debian bookworm main")).toBe(
    "http://ftp.de.debian.org/debian",
  );
  expect(firstDebianMirror("deb http://deb.debian.org/debian bookworm main")).toBe(
    "http://deb.debian.org/debian",
  );
  expect(firstDebianMirror("deb https://packages.cloud.google.com/apt cloud-sdk main")).toBeUndefined();
});
