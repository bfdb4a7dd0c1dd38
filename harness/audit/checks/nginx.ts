import type { Finding } from "../../findings/finding.ts";
import { handedOutImpact, webServiceAt } from "../../exposure/exposure.ts";
import {
  findDirectives,
  proxiedLocations,
  resolvedProxyTarget,
  type NginxDirective,
} from "../../parse/nginx-conf.ts";
import { composeServiceFor } from "../../profile/profile.ts";
import { runbook, RunbookSections } from "../../runbook/runbook.ts";
import type { AuditCheck, AuditContext } from "../context.ts";
import { roleOf } from "./compose.ts";
import { backendBind } from "./units.ts";

const says = (quote: string) => runbook().cite(RunbookSections.nginx, quote);

/** The host's address as containers on the default bridge see it (docker0), which the runbook uses. */
const DOCKER0 = "172.17.0.1";

/** Where the runbook's users reach the frontend on the host. */
const FRONTEND_PORT = 3000;

/**
 * Where a request under a location reaches the upstream when proxy_pass gives a URI: nginx puts the URI
 * in place of the location's prefix, so their trailing slashes must agree (`location /api` with
 * `proxy_pass http://b:8000/` sends /api/health as //health). Undefined when they agree, or when
 * proxy_pass gives no URI (the path goes as it is) or uses variables.
 */
export function proxiedPathMismatch(
  prefix: string,
  url: string,
): { readonly asked: string; readonly reached: string } | undefined {
  const uri = /^[a-z]+:\/\/[^/]+(\/.*)?$/i.exec(url)?.[1];
  if (uri === undefined || url.includes("$") || prefix.endsWith("/") === uri.endsWith("/")) return undefined;
  const asked = `${prefix.replace(/\/$/, "")}/health`;
  return { asked, reached: uri + asked.slice(prefix.length) };
}

/** The `location` blocks that serve the API (`/api`, `/api/`, `^~ /api/`), with their proxy_pass. */
function apiLocations(
  directives: readonly NginxDirective[],
): { location: NginxDirective; proxy: NginxDirective | undefined }[] {
  return findDirectives(directives, "location")
    .map(({ directive }) => directive)
    .filter((location) => location.args.some((arg) => /^\/api\/?$/.test(arg)))
    .map((location) => ({
      location,
      proxy: findDirectives(location.block ?? [], "proxy_pass")[0]?.directive,
    }));
}

/** nginx's configuration, read and parsed. */
interface ParsedNginx {
  readonly file: string;
  readonly directives: readonly NginxDirective[];
}

/** Runs a check on nginx's parsed configuration, or skips it when there is none or it does not parse. */
function onNginx(run: (nginx: ParsedNginx, context: AuditContext) => Finding[]): AuditCheck["run"] {
  return (context) => {
    const nginx = context.nginx;
    if (nginx?.directives === undefined)
      return {
        skipped:
          nginx === undefined
            ? "the checkout has no nginx configuration"
            : `nginx's configuration does not parse (${nginx.error ?? ""})`,
      };
    return run({ file: nginx.file, directives: nginx.directives }, context);
  };
}

const proxy: AuditCheck = {
  id: "nginx.proxy",
  title: "nginx's /api/ proxy_pass reaches the backend where its unit listens",
  run: onNginx((nginx, context) => {
    const findings: Finding[] = [];
    const add = (f: Omit<Finding, "id" | "kind" | "subject" | "file"> & { kind?: Finding["kind"] }) =>
      findings.push({ id: "nginx.proxy", kind: "drift", subject: "location /api/", file: nginx.file, ...f });
    const locations = apiLocations(nginx.directives);
    const api = locations.find((l) => l.proxy !== undefined);
    if (api?.proxy === undefined) {
      add({
        severity: "blocker",
        ...(locations[0] === undefined ? {} : { line: locations[0].location.line }),
        runbook: says("location /api/ {"),
        observed: locations.length === 0 ? "no `location /api/` block" : "`location /api/` has no proxy_pass",
        impact: "the SPA's API calls never reach the backend: they get index.html or 404",
        scenario: "nginx-502",
      });
      return findings;
    }
    const url = api.proxy.args[0] ?? "";
    const prefix = api.location.args.at(-1) ?? "";
    const mismatch = proxiedPathMismatch(prefix, url);
    if (mismatch !== undefined)
      add({
        severity: "blocker",
        line: api.proxy.line,
        runbook: says("proxy_pass http://172.17.0.1:8000;"),
        observed: `location ${prefix} with proxy_pass ${url}: nginx puts the URI in place of ${prefix}, so GET ${mismatch.asked} reaches the backend as ${mismatch.reached}`,
        impact: "the SPA's API calls reach the backend at paths it does not serve (404)",
      });
    const target = resolvedProxyTarget(nginx.directives, url);
    const line = api.proxy.line;
    if (target === undefined) {
      add({
        severity: "info",
        line,
        runbook: says("proxy_pass http://172.17.0.1:8000;"),
        observed: `proxy_pass ${url} is resolved at request time`,
        impact:
          "the target cannot be checked without a host; nginx also needs a `resolver` for names in variables",
      });
      return findings;
    }
    const model = context.compose.model;
    const frontendName = composeServiceFor(context.profile, "frontend");
    const frontend = frontendName === undefined ? undefined : model?.services.get(frontendName);
    const backendUnit = context.units.get("backend");
    const bind = backendUnit === undefined ? undefined : backendBind(backendUnit);
    // With the host's network, nginx's loopback is the host's, where the systemd backend listens.
    const hostNetwork = frontend?.networkMode === "host";
    const loopback = target.host === "localhost" || target.host.startsWith("127.") || target.host === "[::1]";
    const hostAddress =
      target.host === DOCKER0 ||
      (hostNetwork && loopback) ||
      (target.host === "host.docker.internal" &&
        frontend?.extraHosts.some((h) => /^host\.docker\.internal[:=]host-gateway$/.test(h)) === true);
    const service = model?.services.get(target.host);
    // Unknown when compose refused the files (its own finding): no extra_hosts to read.
    if (target.host === "host.docker.internal" && model !== undefined && !hostAddress) {
      add({
        severity: "blocker",
        line,
        runbook: says("proxy_pass http://172.17.0.1:8000;"),
        observed: `proxy_pass ${url}: the frontend service has no extra_hosts host.docker.internal:host-gateway`,
        impact:
          "on Linux host.docker.internal does not resolve without that entry: nginx fails to start (host not found in upstream)",
        scenario: "nginx-502",
      });
    } else if (loopback && !hostNetwork) {
      add({
        severity: "blocker",
        line,
        runbook: says("proxy_pass http://172.17.0.1:8000;"),
        observed: `proxy_pass ${url}: loopback inside the frontend's container`,
        impact: "that is nginx's own container, where no backend listens: every /api/ request gets 502",
        scenario: "nginx-502",
      });
    } else if (service !== undefined) {
      const isBackend = roleOf(context, service.name) === "backend";
      add({
        severity: isBackend ? "blocker" : "info",
        line,
        runbook: says("# Backend на хосте через systemd (НЕ в Docker!)"),
        observed: `proxy_pass ${url}: the compose service ${service.name}${isBackend ? ", the Docker backend" : ""}`,
        impact: isBackend
          ? "the documented start order never starts the Docker backend: nginx fails to start (host not found in upstream) or answers 502, and the systemd backend is never used"
          : `requests go to ${service.name}, not to the backend on the host; the runbook's diagnosis (\`wget http://172.17.0.1:8000/health\` from the frontend) no longer tests the path nginx uses`,
        ...(isBackend ? { scenario: "port-8000-conflict" } : {}),
      });
    } else if (!hostAddress) {
      add({
        severity: "warning",
        line,
        runbook: says("proxy_pass http://172.17.0.1:8000;"),
        observed: `proxy_pass ${url}: not the host's docker0 address ${DOCKER0}`,
        impact: "unless that address is the VPS's, nginx reaches no backend: 502",
      });
    }
    if (hostAddress && bind !== undefined && backendUnit !== undefined) {
      if (
        !loopback &&
        !bind.hostUnknown &&
        (bind.host === "127.0.0.1" || bind.host === "localhost" || bind.host === "::1")
      ) {
        add({
          severity: "blocker",
          line,
          runbook: says("proxy_pass http://172.17.0.1:8000;"),
          observed: `proxy_pass ${url}, while ${backendUnit.name} listens on ${bind.host}:${bind.port} only`,
          impact: `nginx's connection to ${target.host} is refused: every /api/ request gets 502`,
          scenario: "nginx-502",
        });
      }
      if (!bind.portUnknown && bind.port !== target.port) {
        add({
          severity: "blocker",
          line,
          runbook: says("proxy_pass http://172.17.0.1:8000;"),
          observed: `proxy_pass ${url}, while ${backendUnit.name} listens on port ${bind.port}`,
          impact: `nothing listens on ${target.port}: every /api/ request gets 502`,
          scenario: "nginx-502",
        });
      }
    }
    if (target.host === DOCKER0 && frontend !== undefined && frontend.networkMode === undefined) {
      add({
        severity: "info",
        kind: "runbook",
        line,
        runbook: says("# 172.17.0.1 — IP адрес docker0 интерфейса"),
        observed: `proxy_pass ${url}, while the frontend runs on the compose project's network (${frontend.networks.join(", ") || "default"}), not on docker0`,
        impact:
          "the path works only because 172.17.0.1 is an address of the host; it breaks when Docker's bridge address or address pools change (bip, default-address-pools), and host.docker.internal:host-gateway would not",
      });
    }
    if (findDirectives(nginx.directives, "proxy_read_timeout").length === 0) {
      add({
        severity: "info",
        kind: "runbook",
        line,
        runbook: says("proxy_set_header X-Forwarded-Proto $scheme;"),
        observed: "no proxy_read_timeout",
        impact: "a hung backend holds each request for nginx's default 60 s before a 504",
        scenario: "network-chaos",
      });
    }
    const published = frontend?.ports.map((p) => p.target) ?? [];
    const listens = findDirectives(nginx.directives, "listen").map(({ directive }) =>
      Number(/(\d+)(?!.*\d)/.exec(directive.args[0] ?? "")?.[1]),
    );
    if (hostNetwork && listens.length > 0 && !listens.includes(FRONTEND_PORT)) {
      // Users are sent to another port, as with a frontend published on 80: a drift, not an outage,
      // unless the compose file still publishes ports someone will take for the way in.
      add({
        severity: published.length > 0 ? "warning" : "info",
        line: findDirectives(nginx.directives, "listen")[0]?.directive.line,
        runbook: says("listen 80;"),
        observed: `the frontend runs on the host's network (network_mode: host), where nginx listens on ${listens.join(", ")}${published.length > 0 ? ": compose's published ports do not apply" : ""}`,
        impact: `the runbook's frontend port :${String(FRONTEND_PORT)} answers nothing; nginx answers on the host's :${listens.join(", :")} instead`,
      });
    }
    if (
      !hostNetwork &&
      published.length > 0 &&
      listens.length > 0 &&
      !published.some((port) => listens.includes(port))
    ) {
      add({
        severity: "blocker",
        line: findDirectives(nginx.directives, "listen")[0]?.directive.line,
        runbook: says("listen 80;"),
        observed: `nginx listens on ${listens.join(", ")}, but compose publishes the frontend's container port ${published.join(", ")}`,
        impact: "the published port leads to nothing: :3000 refuses connections",
      });
    }
    return findings;
  }),
};

/**
 * A location on the public web port that proxies to Prometheus, Alertmanager or Grafana, with no
 * password or address list of its own: outsiders get the service there, and no firewall closes it (the
 * exposure audit asks for it from outside on a running host).
 */
const handsOut: AuditCheck = {
  id: "nginx.hands-out",
  title: "nginx's web port hands no monitoring service out to outsiders",
  run: onNginx((nginx, context) => {
    const model = context.compose.model;
    const byName = new Map<string, string>();
    const byHostPort = new Map<number, string>();
    for (const service of model?.services.values() ?? []) {
      const role = roleOf(context, service.name);
      if (role === undefined) continue;
      byName.set(service.name, role);
      if (service.containerName !== undefined) byName.set(service.containerName, role);
      for (const port of service.ports)
        if (port.published !== undefined) byHostPort.set(port.published, role);
    }
    return proxiedLocations(nginx.directives).flatMap((location) => {
      const service = webServiceAt(location.target, byName, byHostPort);
      if (service === undefined || location.guarded) return [];
      const { severity, impact } = handedOutImpact(service);
      return [
        {
          id: "nginx.hands-out",
          severity,
          kind: "drift",
          subject: `location ${location.prefix}`,
          file: nginx.file,
          line: location.line,
          runbook: says("location /api/ {"),
          observed: `location ${location.prefix} proxies to ${location.url}: ${service}, with no auth_basic, auth_request or deny all of its own`,
          impact,
          scenario: "firewall",
        } satisfies Finding,
      ];
    });
  }),
};

export const NGINX_CHECKS: readonly AuditCheck[] = [proxy, handsOut];
