import { describe, expect, it } from "vitest";
import {
  apiPathOf,
  exposureFindings,
  portsToProbe,
  proxiedServiceFindings,
  roleOf,
  type ExposureContext,
} from "./exposure.ts";
import type { PortAnswer } from "./port-probe.ts";

const context: ExposureContext = {
  backendPort: 8000,
  published: new Map([
    [3000, "frontend"],
    [9090, "prometheus"],
    [5432, "db"],
    [8081, "adminer"],
  ]),
  listening: new Map([
    [8000, "uvicorn (sattva-backend.service)"],
    [9101, "python3 (sattva-streamer.service)"],
    [9095, "python3 (sattva-chaos-alerts.service)"],
  ]),
};

const answered = (port: number, what: string, protocol: PortAnswer["protocol"] = "http"): PortAnswer => ({
  port,
  answered: true,
  protocol,
  what,
});

describe("portsToProbe", () => {
  it("probes the runbook's ports, the backend's, toxiproxy's and whatever listens, once each, in order", () => {
    const ports = portsToProbe([9101, 3000], { ...context, backendPort: 8080 });
    expect(ports).toEqual([...new Set(ports)].sort((a, b) => a - b));
    for (const port of [22, 3000, 3001, 5432, 6379, 8000, 8080, 8474, 9090, 9093, 9101, 15432])
      expect(ports).toContain(port);
  });
});

describe("roleOf", () => {
  it("knows the backend by the profile's port and a service by what publishes it", () => {
    expect(roleOf(8000, context)).toEqual({ kind: "backend" });
    expect(roleOf(9090, context)).toEqual({ kind: "service", service: "prometheus" });
    expect(roleOf(8474, context)).toMatchObject({ kind: "harness" });
    expect(roleOf(9101, context)).toEqual({ kind: "listener", holder: "python3 (sattva-streamer.service)" });
    expect(roleOf(9095, context)).toMatchObject({ kind: "harness" });
    expect(roleOf(4444, context)).toBeUndefined();
  });

  it("knows a monitoring service on the host's own network by its port, though nothing publishes it", () => {
    const onHost = {
      ...context,
      published: new Map([[3000, "frontend"]]),
      listening: new Map([[9093, "alertmanager"]]),
      servicesOnHost: new Map([[9093, "alertmanager"]]),
    };
    expect(roleOf(9093, onHost)).toEqual({ kind: "service", service: "alertmanager" });
  });
});

describe("exposureFindings", () => {
  const judge = (answers: PortAnswer[]) => exposureFindings(answers, context, "a probe");

  it("says nothing of the frontend, nor of ports that do not answer", () => {
    expect(
      judge([
        answered(3000, "HTTP 200 (nginx)"),
        { port: 8000, answered: false, what: "filtered (no answer to a connection within 2 s)" },
        { port: 5432, answered: false, what: "closed (connection refused)" },
      ]),
    ).toEqual([]);
  });

  it("blocks the release on the backend past nginx, an unauthenticated service and toxiproxy", () => {
    const findings = judge([
      answered(8000, "HTTP 404 (uvicorn)"),
      answered(5432, "PostgreSQL (its SSLRequest answered N: no TLS)", "postgresql"),
      answered(9090, "HTTP 302"),
      answered(8474, "HTTP 404"),
    ]);
    expect(findings.map((f) => [f.id, f.severity, f.subject])).toEqual([
      ["exposure.backend-bypasses-nginx", "blocker", ":8000"],
      ["exposure.db-reachable", "blocker", ":5432"],
      ["exposure.prometheus-reachable", "blocker", ":9090"],
      ["exposure.harness-reachable", "blocker", ":8474"],
    ]);
    // What answered is in the finding, so a reader needs nothing else.
    expect(findings[0]?.observed).toContain("HTTP 404 (uvicorn)");
    expect(findings[1]?.observed).toContain("PostgreSQL");
    // The runbook binds the backend to 0.0.0.0:8000 itself: its flaw, cited.
    expect(findings[0]?.kind).toBe("runbook");
    expect(findings[0]?.runbook.quote).toContain("0.0.0.0");
    // PostgreSQL is "isolated" in the runbook: reaching it is the checkout's drift; Prometheus's port
    // is the runbook's own table, published as written.
    expect(findings[1]?.kind).toBe("drift");
    expect(findings[1]?.runbook.quote).toContain("изолированный");
    expect(findings[2]?.kind).toBe("runbook");
  });

  it("warns of a Redis behind a password, and blocks on one that asks for none", () => {
    const withRedis = { ...context, published: new Map([...context.published, [6379, "redis"]]) };
    const redis = (what: string, passwordRequired?: true) =>
      exposureFindings(
        [{ ...answered(6379, what, "redis"), ...(passwordRequired ? { passwordRequired } : {}) }],
        withRedis,
        "x",
      ).map((f) => [f.id, f.severity]);
    expect(redis("Redis (PING answered +PONG: no password)")).toEqual([
      ["exposure.redis-reachable", "blocker"],
    ]);
    expect(redis("Redis (password required: -NOAUTH Authentication required.)", true)).toEqual([
      ["exposure.redis-reachable", "warning"],
    ]);
  });

  it("warns of what the runbook does not document, naming who holds it", () => {
    const findings = judge([
      answered(8081, "HTTP 200"),
      answered(9101, "HTTP 200"),
      answered(4444, "TCP open"),
    ]);
    expect(findings.map((f) => [f.id, f.severity, f.kind])).toEqual([
      ["exposure.adminer-reachable", "warning", "drift"],
      ["exposure.undocumented-port", "warning", "drift"],
      ["exposure.undocumented-port", "warning", "drift"],
    ]);
    expect(findings[1]?.observed).toContain("held by python3 (sattva-streamer.service)");
  });

  // The runbook binds the backend to every interface; on another port the flaw is still the runbook's,
  // not something the checkout opened beyond it.
  it("a backend moved off the runbook's port still bypasses nginx as the runbook has it: a blocker", () => {
    const moved = exposureFindings([answered(8080, "HTTP 404")], { ...context, backendPort: 8080 }, "x");
    expect(moved.map((f) => [f.id, f.severity, f.kind])).toEqual([
      ["exposure.backend-bypasses-nginx", "blocker", "runbook"],
    ]);
  });

  it("SSH answering is worth knowing, no more", () => {
    expect(judge([answered(22, "SSH (SSH-2.0-OpenSSH_9.2p1)", "ssh")]).map((f) => f.severity)).toEqual([
      "info",
    ]);
  });
});

describe("proxiedServiceFindings", () => {
  const routes = [
    { port: 3000, prefix: "/prometheus/", service: "prometheus" },
    { port: 3000, prefix: "/alerts", service: "alertmanager" },
    { port: 3000, prefix: "/grafana/", service: "grafana" },
  ];
  const path = (at: number, status: number, body: string) => {
    const route = routes[at];
    if (route === undefined) throw new Error("no route");
    return { port: 3000, path: apiPathOf(route), status, what: `HTTP ${status} (nginx)`, body };
  };

  it("asks each service's API under the location's prefix", () => {
    expect(routes.map(apiPathOf)).toEqual([
      "/prometheus/api/v1/status/buildinfo",
      "/alerts/api/v2/status",
      "/grafana/api/health",
    ]);
  });

  it("blocks on Prometheus or Alertmanager handed out through the frontend's port; Grafana has a login", () => {
    const findings = proxiedServiceFindings(
      [
        path(0, 200, '{"status":"success","data":{}}'),
        path(1, 200, '{"cluster":{},"versionInfo":{}}'),
        path(2, 200, '{"database":"ok"}'),
      ],
      routes,
      "a probe",
    );
    expect(findings.map((f) => [f.id, f.severity, f.subject])).toEqual([
      ["exposure.prometheus-through-frontend", "blocker", ":3000"],
      ["exposure.alertmanager-through-frontend", "blocker", ":3000"],
      ["exposure.grafana-through-frontend", "warning", ":3000"],
    ]);
    expect(findings[0]?.observed).toContain("GET :3000/prometheus/api/v1/status/buildinfo");
    expect(findings[0]?.observed).toContain("location /prometheus/");
  });

  it("says nothing when the location asks for a password, fails, or is not the service's API", () => {
    expect(
      proxiedServiceFindings(
        [path(0, 401, "401 Authorization Required"), path(1, 502, "Bad Gateway"), path(2, 200, "<html>")],
        routes,
        "a probe",
      ),
    ).toEqual([]);
  });
});
