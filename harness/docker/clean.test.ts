import { expect, it } from "vitest";
import { isLeftOver, type Resource } from "./clean.ts";
import { currentOwner, Label, OWNER_LEASE } from "./labels.ts";

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

it("an owner in another PID namespace or boot cannot be seen from here: its host's lease says whether it lives", () => {
  const foreignOwner = "1:12345:4026531836.0badb007";
  const old = new Date(Date.now() - OWNER_LEASE.unreadableMs - 60_000);
  const renewed = { ...managed({ [Label.owner]: foreignOwner }), createdAt: old, leaseAgeMs: 20_000 };
  const lapsed = { ...renewed, leaseAgeMs: OWNER_LEASE.expiresMs + 1 };
  // No lease to read (the host's network before its container runs, or after it went): by age.
  const young = { ...managed({ [Label.owner]: foreignOwner }), createdAt: new Date() };
  const stale = { ...managed({ [Label.owner]: foreignOwner }), createdAt: old };
  const ageUnknown = managed({ [Label.owner]: foreignOwner });
  expect([renewed, lapsed, young, stale, ageUnknown].map((r) => isLeftOver(r, {}))).toEqual([
    false,
    true,
    false,
    true,
    false,
  ]);
  // Our own pid 1 in our own namespace is judged by /proc, not by a lease.
  const [pid, start] = currentOwner().split(":");
  const world = currentOwner().split(":")[2];
  expect(isLeftOver(managed({ [Label.owner]: `${pid}:${start}:${world}` }), {})).toBe(false);
  expect(isLeftOver({ ...managed({ [Label.owner]: `${pid}:1:${world}` }), leaseAgeMs: 0 }, {})).toBe(true);
});
