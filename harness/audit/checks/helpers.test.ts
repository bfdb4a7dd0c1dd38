import { describe, expect, it } from "vitest";
import { UnitFile } from "../../parse/unit-file.ts";
import { parseComposeConfig, startedBy, startedByDefault } from "../compose-model.ts";
import { catalogueServiceOf } from "../../images/catalogue.ts";
import { dockerfileBases } from "../../parse/dockerfile.ts";
import { jobMatchers, scrapeTargets } from "./monitoring.ts";
import { proxiedPathMismatch } from "./nginx.ts";
import { proxyTarget } from "../../parse/nginx-conf.ts";
import { backendBind, bindOf, devEnvironment } from "./units.ts";
import { parseCalendar } from "./update.ts";
import { pipCall, venvOf } from "./venvs.ts";

const service = (execStart: string) =>
  new UnitFile("b.service", [{ file: "b.service", text: `[Service]\nExecStart=${execStart}\n` }]);

describe("what the checks read", () => {
  it("the venv a unit runs from: its interpreter, a venv its shell activates, else its PATH's", () => {
    expect(venvOf(service("/opt/s/backend/venv/bin/python -m uvicorn app:app"))).toBe("/opt/s/backend/venv");
    expect(
      venvOf(service(`/bin/bash -c "source /opt/s/streamer/.venv/bin/activate && exec python main.py"`)),
    ).toBe("/opt/s/streamer/.venv");
    const onPath = new UnitFile("s.service", [
      {
        file: "s.service",
        text: '[Service]\nEnvironment="PATH=/srv/app/venv/bin:/usr/bin"\nExecStart=uvicorn app:app\n',
      },
    ]);
    expect(venvOf(onPath)).toBe("/srv/app/venv");
    expect(venvOf(service("/usr/bin/python3 /opt/s/main.py"))).toBeUndefined();
    // Relative to the shell's `cd`, or to WorkingDirectory=.
    expect(
      venvOf(service(`/usr/bin/env bash -c 'cd /opt/s/backend && exec venv/bin/gunicorn app:app'`)),
    ).toBe("/opt/s/backend/venv");
    const inWorkdir = new UnitFile("w.service", [
      {
        file: "w.service",
        text: "[Service]\nWorkingDirectory=/srv/api\nExecStart=.venv/bin/uvicorn app:app\n",
      },
    ]);
    expect(venvOf(inWorkdir)).toBe("/srv/api/.venv");
  });

  it("the backend's bind address from its server's flags, with the server's defaults", () => {
    expect(bindOf(["uvicorn", "--host=0.0.0.0", "--port", "9000"])).toEqual({
      host: "0.0.0.0",
      port: 9000,
      unresolved: [],
    });
    expect(bindOf(["gunicorn", "-b", "127.0.0.1:8001"])).toEqual({
      host: "127.0.0.1",
      port: 8001,
      unresolved: [],
    });
    expect(backendBind(service("/v/bin/python -m uvicorn app:app"))).toMatchObject({
      host: "127.0.0.1",
      port: 8000,
      server: "uvicorn",
    });
    expect(backendBind(service("/v/bin/python main.py"))).toBeUndefined();
    // Variables from the unit's Environment= are expanded as systemd does; an unknown one is no port.
    const fromEnvironment = new UnitFile("b.service", [
      {
        file: "b.service",
        text: "[Service]\nEnvironment=API_PORT=8010 HOST=0.0.0.0\nExecStart=/v/bin/uvicorn app:app --host $HOST --port ${API_PORT}\n",
      },
    ]);
    expect(backendBind(fromEnvironment)).toMatchObject({ host: "0.0.0.0", port: 8010 });
    expect(backendBind(service("/v/bin/uvicorn app:app --port ${PORT} --host=${BIND}"))).toMatchObject({
      host: "127.0.0.1",
      port: 8000,
      unresolved: ["--port ${PORT}", "--host=${BIND}"],
      hostUnknown: true,
      portUnknown: true,
    });
    expect(backendBind(service("/v/bin/uvicorn app:app --port ${PORT}"))).toMatchObject({
      hostGiven: false,
      hostUnknown: false,
      portUnknown: true,
    });
    // Through a shell, as units that `cd` first are often written.
    expect(
      backendBind(
        service(
          `/usr/bin/env bash -c 'cd /opt/s/backend && exec venv/bin/gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:8001 app:app'`,
        ),
      ),
    ).toMatchObject({ host: "0.0.0.0", port: 8001, server: "gunicorn" });
    expect(bindOf(["uvicorn", "--port", "http"]).port).toBeUndefined();
    expect(bindOf(["gunicorn", "-b", "0.0.0.0:99999"]).port).toBeUndefined();
    expect(devEnvironment("DEBUG", "True")).toBe(true);
    expect(devEnvironment("APP_ENV", "production")).toBe(false);
  });

  it("systemd-analyze calendar's next runs in UTC, with or without a zone in the spec", () => {
    const withZone = parseCalendar(
      "  Original form: *-*-* 04:00 Europe/Moscow\nNormalized form: *-*-* 04:00:00 Europe/Moscow\n    Next elapse: Wed 2026-12-02 04:00:00 MSK\n       (in UTC): Wed 2026-12-02 01:00:00 UTC\n       Iter. #2: Thu 2026-12-03 04:00:00 MSK\n       (in UTC): Thu 2026-12-03 01:00:00 UTC\n",
    );
    expect(withZone).toEqual({
      normalized: "*-*-* 04:00:00 Europe/Moscow",
      nextUtc: ["2026-12-02 01:00:00", "2026-12-03 01:00:00"],
    });
    const utc = parseCalendar(
      "Normalized form: *-*-* 04:00:00\n    Next elapse: Wed 2026-12-02 04:00:00 UTC\n       Iter. #2: Thu 2026-12-03 04:00:00 UTC\n",
    );
    expect(utc.nextUtc).toEqual(["2026-12-02 04:00:00", "2026-12-03 04:00:00"]);
  });

  it("the update script's pip call and the venv it upgrades", () => {
    expect(
      pipCall("#!/bin/bash\necho x\n/opt/s/streamer/venv/bin/pip install -U yt-dlp || exit 1\n"),
    ).toEqual({
      venv: "/opt/s/streamer/venv",
      line: 3,
      text: "/opt/s/streamer/venv/bin/pip install -U yt-dlp || exit 1",
    });
    expect(pipCall("# pip install is not here\necho\n")).toBeUndefined();
  });

  it("compose: what the runbook's start command starts (dependencies too), and images by catalogue", () => {
    const model = parseComposeConfig(
      JSON.stringify({
        name: "p",
        services: {
          db: { image: "postgres:15-alpine" },
          frontend: {
            image: "nginx:stable",
            depends_on: { api: { condition: "service_started" } },
            ports: [{ target: 80, published: "3000" }],
          },
          api: { build: { context: "/opt/x/backend", dockerfile: "Dockerfile" }, profiles: ["docker"] },
          extra: { image: "adminer", networks: { inner: null } },
        },
        networks: { inner: { internal: true } },
      }),
    );
    expect([...startedBy(model, ["db", "frontend", "nosuch"])]).toEqual(["db", "frontend", "api"]);
    expect([...startedByDefault(model)].sort()).toEqual(["api", "db", "extra", "frontend"]);
    expect(model.services.get("frontend")?.ports).toEqual([
      { hostIp: "", published: 3000, target: 80, protocol: "tcp" },
    ]);
    expect(model.networks.get("inner")).toEqual({ internal: true, external: false });
    expect([
      catalogueServiceOf("postgres:15"),
      catalogueServiceOf("docker.io/library/redis:7"),
      catalogueServiceOf("prom/alertmanager:v0.27.0"),
      catalogueServiceOf("node:20-alpine"),
      catalogueServiceOf("golang:1.23"),
    ]).toEqual(["postgres", "redis", "alertmanager", "node", undefined]);
    expect(
      dockerfileBases(
        "FROM node:20 AS build\nRUN x\nFROM --platform=linux/amd64 nginx:stable\nCOPY --from=build a b\nFROM build\n",
      ),
    ).toEqual(["node:20", "nginx:stable"]);
  });

  it("nginx's proxy target and Prometheus' targets and job selectors", () => {
    expect(proxyTarget("http://172.17.0.1:8000/api/")).toEqual({ host: "172.17.0.1", port: 8000 });
    expect(proxyTarget("http://backend")).toEqual({ host: "backend", port: 80 });
    expect(proxyTarget("http://$upstream")).toBeUndefined();
    const { jobs, targets, discovered } = scrapeTargets({
      scrape_configs: [
        { job_name: "api", static_configs: [{ targets: ["api:8000", "10.0.0.1"] }] },
        { job_name: "nodes", file_sd_configs: [{ files: ["x"] }] },
      ],
    });
    expect(jobs).toEqual(["api", "nodes"]);
    expect(targets.map((t) => [t.host, t.port, t.path.join(".")])).toEqual([
      ["api", 8000, "scrape_configs.0.static_configs.0.targets.0"],
      ["10.0.0.1", undefined, "scrape_configs.0.static_configs.0.targets.1"],
    ]);
    expect(discovered).toEqual(["nodes"]);
    expect(jobMatchers('up{job="a"} == 0 or absent(up{ job = "b" })')).toEqual(["a", "b"]);
  });
});

describe("proxiedPathMismatch", () => {
  it("names the path the backend gets when the location's and the URI's trailing slashes disagree", () => {
    expect(proxiedPathMismatch("/api", "http://172.17.0.1:8000/")).toEqual({
      asked: "/api/health",
      reached: "//health",
    });
    expect(proxiedPathMismatch("/api/", "http://172.17.0.1:8000/api")).toEqual({
      asked: "/api/health",
      reached: "/apihealth",
    });
  });

  it("says nothing when they agree, when proxy_pass gives no URI, or when it uses variables", () => {
    expect(proxiedPathMismatch("/api/", "http://172.17.0.1:8000/")).toBeUndefined();
    expect(proxiedPathMismatch("/api", "http://172.17.0.1:8000/api")).toBeUndefined();
    expect(proxiedPathMismatch("/api", "http://172.17.0.1:8000")).toBeUndefined();
    expect(proxiedPathMismatch("/api", "http://$backend/")).toBeUndefined();
  });
});
