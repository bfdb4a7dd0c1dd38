import { expect, it } from "vitest";
import { isLeftOver, type Resource } from "./clean.ts";
import { currentOwner, Label } from "./labels.ts";

const managed = (labels: Record<string, string>): Resource => ({
  name: "r",
  labels: { [Label.managed]: "true", ...labels },
});

it("removes what dead runs left, spares live and kept hosts unless --all, and templates only with them asked for", () => {
  const dead = managed({ [Label.owner]: "999999999:1", [Label.host]: "h1" });
  const live = managed({ [Label.owner]: currentOwner(), [Label.host]: "h2" });
  const kept = managed({ [Label.keep]: "true", [Label.host]: "h3" });
  const template = managed({ [Label.keep]: "true", [Label.template]: "0123456789ab" });

  expect([dead, live, kept, template].map((r) => isLeftOver(r, {}))).toEqual([true, false, false, false]);
  expect([dead, live, kept, template].map((r) => isLeftOver(r, { all: true }))).toEqual([
    true,
    true,
    true,
    false,
  ]);
  expect(isLeftOver(template, { all: true, templates: true })).toBe(true);
  expect([dead, live, kept, template].map((r) => isLeftOver(r, { host: "h2" }))).toEqual([
    false,
    true,
    false,
    false,
  ]);
  // `down` with no names: the hosts kept with up/--keep, never a live run's, never a template.
  expect([dead, live, kept, template].map((r) => isLeftOver(r, { kept: true }))).toEqual([
    false,
    false,
    true,
    false,
  ]);
});
