import { describe, expect, it } from "vitest";
import { inferredLayoutFindings, isLayoutKey, isReadingKey } from "./inferred-layout.ts";

describe("layout read from the checkout, not from a profile", () => {
  it("is one finding per key: what is there instead of the runbook's, why, and what the runbook's commands will do", () => {
    const [renamed, moved, composeYaml] = inferredLayoutFindings([
      {
        key: "compose.services.db",
        value: "postgres",
        guessed: true,
        why: "postgres runs postgres:15",
        file: "deploy/c.yml",
        line: 5,
      },
      {
        key: "units.dir",
        value: "ops/systemd",
        guessed: false,
        why: "the units are in ops/systemd/",
        file: "ops/systemd/a.service",
      },
      {
        key: "compose.files",
        value: ["compose.yaml"],
        guessed: false,
        why: "the compose file is compose.yaml",
        file: "compose.yaml",
      },
    ]);
    expect(renamed).toMatchObject({
      id: "layout.inferred",
      severity: "warning",
      kind: "drift",
      file: "deploy/c.yml",
      line: 5,
    });
    expect(renamed?.observed).toBe(
      'compose.services.db is "postgres" here, not "db": postgres runs postgres:15 (a guess)',
    );
    expect(renamed?.impact).toContain("`docker compose up -d db redis …` fails here (no such service: db)");
    expect(moved?.observed).toBe(
      'units.dir is "ops/systemd" here, not "systemd": the units are in ops/systemd/',
    );
    // compose finds compose.yaml in the root by itself: worth knowing, not a hazard.
    expect(composeYaml?.severity).toBe("info");
  });

  it("covers the layout and naming keys, not what describes the checkout (users, env, liveness)", () => {
    expect(
      [
        "units.timer",
        "compose.project",
        "monitoring.rules",
        "prometheus.jobs.backend",
        "root",
        "backend.health", // the runbook's `curl …/health` names it
      ].every(isLayoutKey),
    ).toBe(true);
    expect(["users", "env", "streamer.liveness"].some(isLayoutKey)).toBe(false);
    // Read without a profile: how to tell the streamer lives; not what a profile vouches for.
    expect(isReadingKey("streamer.liveness")).toBe(true);
    expect(["users", "env"].some(isReadingKey)).toBe(false);
  });
});
