import type { Finding } from "../findings/finding.ts";
import { linksFor } from "../network/links.ts";
import { RunbookSections, runbook } from "../runbook/runbook.ts";
import { STACK_PORTS, TOXIPROXY_API_PORT } from "../stack-ports.ts";
import type { PathAnswer, PortAnswer } from "./port-probe.ts";

/** What a port on the host is, for whoever answers on it from outside. */
export type PortRole =
  | { readonly kind: "frontend" }
  | { readonly kind: "backend" }
  /** A compose service: its runbook name where it has one, else the checkout's own. */
  | { readonly kind: "service"; readonly service: string }
  | { readonly kind: "harness"; readonly what: string }
  | { readonly kind: "ssh" }
  /** Anything else listening on the host: who holds it ("python3 (sattva-streamer.service)"). */
  | { readonly kind: "listener"; readonly holder: string };

/** What the exposure audit knows of a deployment's ports. */
export interface ExposureContext {
  /** The backend's port (the profile's; 8000 as the runbook has it). */
  readonly backendPort: number;
  /** Ports compose publishes, by the service they belong to (its runbook name where it has one). */
  readonly published: ReadonlyMap<number, string>;
  /** The host's listening ports, by who holds each. */
  readonly listening: ReadonlyMap<number, string>;
  /** Where a frontend on the host's own network listens (it publishes nothing). */
  readonly frontendOnHost?: number;
  /** Other compose services on the host's own network, by the port they listen on (their runbook name). */
  readonly servicesOnHost?: ReadonlyMap<number, string>;
}

/**
 * The ports to probe from outside: the host's listening ones, and every port the stack and the harness
 * may open even when nothing listens at the moment (the runbook's, the backend's, toxiproxy's and its
 * proxies').
 */
export function portsToProbe(listening: readonly number[], context: ExposureContext): number[] {
  const proxies = Object.values(linksFor(context.backendPort)).map((link) =>
    Number(link.listen.split(":").at(-1)),
  );
  return [
    ...new Set([22, ...STACK_PORTS, context.backendPort, TOXIPROXY_API_PORT, ...proxies, ...listening]),
  ].sort((a, b) => a - b);
}

export function roleOf(port: number, context: ExposureContext): PortRole | undefined {
  if (port === 22) return { kind: "ssh" };
  if (port === context.backendPort) return { kind: "backend" };
  const service = context.published.get(port);
  if (service === "frontend") return { kind: "frontend" };
  if (service !== undefined) return { kind: "service", service };
  if (port === context.frontendOnHost) return { kind: "frontend" };
  const onHost = context.servicesOnHost?.get(port);
  if (onHost !== undefined) return { kind: "service", service: onHost };
  if (port === TOXIPROXY_API_PORT) return { kind: "harness", what: "toxiproxy's API (chaos mode)" };
  const link = Object.values(linksFor(context.backendPort)).find((l) => l.listen.endsWith(`:${port}`));
  if (link !== undefined) return { kind: "harness", what: `toxiproxy's proxy for ${link.description}` };
  const holder = context.listening.get(port);
  if (holder === undefined) return undefined;
  // The harness's own units (the alert receiver) are all called sattva-chaos-*.
  if (holder.includes("(sattva-chaos-")) return { kind: "harness", what: holder };
  return { kind: "listener", holder };
}

/** The runbook's services an outsider must never reach, and what reaching them gives. */
const UNAUTHENTICATED: Readonly<Record<string, string>> = {
  db: "anyone who reaches the host can try the database's passwords, and read or write it with them",
  redis: "Redis asks for no password: anyone who reaches the host reads and writes the streamer's state",
  prometheus: "Prometheus asks for no password: anyone who reaches the host reads every metric and target",
  alertmanager: "Alertmanager asks for no password: anyone who reaches the host silences or forges alerts",
};

/**
 * What the runbook says of a service's port, to cite: the monitoring ports are its table's, published
 * as written (a host built from it exposes them: the runbook's flaw); PostgreSQL is "isolated" and Redis
 * is reached on localhost, so either answering outsiders is the checkout's drift.
 */
const RUNBOOK_WORDS: Readonly<
  Record<string, { readonly section: string; readonly quote: string; readonly published: boolean }>
> = {
  db: {
    section: RunbookSections.table,
    quote: "| PostgreSQL | `Docker` | 5432 | Стабильный, изолированный |",
    published: false,
  },
  redis: { section: RunbookSections.diagram, quote: "localhost (Redis :6379)", published: false },
  prometheus: { section: RunbookSections.table, quote: "| Prometheus | `Docker` | 9090 |", published: true },
  grafana: { section: RunbookSections.table, quote: "| Grafana | `Docker` | 3001 |", published: true },
  alertmanager: {
    section: RunbookSections.table,
    quote: "| Alertmanager | `Docker` | 9093 |",
    published: true,
  },
};

function finding(
  id: string,
  severity: Finding["severity"],
  kind: Finding["kind"],
  port: number,
  cited: Finding["runbook"],
  observed: string,
  impact: string,
): Finding {
  return { id: `exposure.${id}`, severity, kind, subject: `:${port}`, runbook: cited, observed, impact };
}

/**
 * Each port that answers from outside and should not, as a finding: the backend bypassing nginx, an
 * unauthenticated service (PostgreSQL, Redis, Prometheus, Alertmanager) or the harness's toxiproxy are
 * blockers (a release gate says no); Grafana (it has its own login) and anything else that answers are
 * warnings; SSH is worth knowing. The frontend is meant to answer. The runbook gives no firewall, so a
 * port it publishes as written is its own flaw (kind runbook); anything else is the checkout's (drift).
 */
export function exposureFindings(
  answers: readonly PortAnswer[],
  context: ExposureContext,
  from: string,
): Finding[] {
  const findings: Finding[] = [];
  for (const answer of answers.filter((a) => a.answered)) {
    const { port } = answer;
    const role = roleOf(port, context);
    const observed = `:${port} answers from outside (${from}): ${answer.what}`;
    if (role?.kind === "frontend") continue;
    if (role?.kind === "ssh" || answer.protocol === "ssh") {
      findings.push(
        finding(
          "ssh",
          "info",
          "drift",
          port,
          runbook().cite(RunbookSections.table, "| Frontend (Nginx) | `Docker` | 3000 |"),
          observed,
          "how the host is administered; only keys should get in",
        ),
      );
    } else if (role?.kind === "backend") {
      findings.push(
        finding(
          "backend-bypasses-nginx",
          "blocker",
          // The runbook's binding (0.0.0.0), whatever port the checkout gives the backend.
          "runbook",
          port,
          runbook().cite(RunbookSections.backendUnit, "--host 0.0.0.0 --port 8000"),
          `${observed}: the backend, without nginx`,
          "anyone who reaches the host talks to the backend directly, past nginx and whatever it adds (TLS, limits, the one way in)",
        ),
      );
    } else if (role?.kind === "service") {
      // Behind a password it asks for first, a service is reachable, not open: a warning.
      const unauthenticated = answer.passwordRequired === true ? undefined : UNAUTHENTICATED[role.service];
      const words = RUNBOOK_WORDS[role.service];
      findings.push(
        finding(
          `${role.service}-reachable`,
          unauthenticated === undefined ? "warning" : "blocker",
          words?.published === true ? "runbook" : "drift",
          port,
          words === undefined
            ? runbook().cite(RunbookSections.table, "| Frontend (Nginx) | `Docker` | 3000 |")
            : runbook().cite(words.section, words.quote),
          `${observed}: ${role.service}`,
          unauthenticated ?? "reachable by anyone who reaches the host; only the frontend needs to be",
        ),
      );
    } else if (role?.kind === "harness") {
      findings.push(
        finding(
          "harness-reachable",
          "blocker",
          "drift",
          port,
          runbook().cite(RunbookSections.table, "| Frontend (Nginx) | `Docker` | 3000 |"),
          `${observed}: ${role.what}`,
          "anyone who reaches it can open a proxy to the database or cut the services off",
        ),
      );
    } else {
      findings.push(
        finding(
          "undocumented-port",
          "warning",
          "drift",
          port,
          runbook().cite(RunbookSections.table, "| Frontend (Nginx) | `Docker` | 3000 |"),
          role?.kind === "listener" ? `${observed}: held by ${role.holder}` : observed,
          "the runbook documents no such port: something the deployment does not account for answers anyone",
        ),
      );
    }
  }
  return findings;
}

/**
 * A location of the frontend's nginx that proxies to one of the stack's web services: what anyone who
 * reaches the frontend's port reaches through it, whatever the firewall closes.
 */
export interface ProxiedService {
  /** The frontend's port. */
  readonly port: number;
  /** The location's prefix, as users ask for it ("/prometheus/"). */
  readonly prefix: string;
  /** The service's runbook name. */
  readonly service: string;
}

/** Each web service's API: a path under its root that says who answers, and what its body then holds. */
const SERVICE_APIS: Readonly<
  Record<string, { readonly path: string; readonly body: RegExp; readonly name: string }>
> = {
  prometheus: { path: "api/v1/status/buildinfo", body: /"status"\s*:\s*"success"/, name: "Prometheus" },
  alertmanager: { path: "api/v2/status", body: /"versionInfo"/, name: "Alertmanager" },
  grafana: { path: "api/health", body: /"database"/, name: "Grafana" },
};

/** The runbook's services that speak HTTP, whose API says who they are: the ones nginx can hand out. */
export const WEB_SERVICES = Object.keys(SERVICE_APIS);

/** The host's own addresses as nginx names them from a container: a location proxying there reaches a published port. */
const HOST_ADDRESSES = /^(172\.17\.0\.1|host\.docker\.internal|localhost|127\.[\d.]+|\[::1\])$/;

/**
 * The web service (its runbook name) a location's proxy target reaches: one compose names so (service
 * or container name, `byName`), or the host's own address at the port a web service is published on or
 * listens on (`byHostPort`). Undefined for anything else.
 */
export function webServiceAt(
  target: { readonly host: string; readonly port: number } | undefined,
  byName: ReadonlyMap<string, string>,
  byHostPort: ReadonlyMap<number, string>,
): string | undefined {
  if (target === undefined) return undefined;
  const service =
    byName.get(target.host) ?? (HOST_ADDRESSES.test(target.host) ? byHostPort.get(target.port) : undefined);
  return service !== undefined && WEB_SERVICES.includes(service) ? service : undefined;
}

/** What reaching a web service through the frontend's port gives anyone: the finding's impact. */
export function handedOutImpact(service: string): {
  readonly severity: Finding["severity"];
  readonly impact: string;
} {
  const unauthenticated = UNAUTHENTICATED[service];
  const name = SERVICE_APIS[service]?.name ?? service;
  return unauthenticated === undefined
    ? {
        severity: "warning",
        impact: `${name} is reachable by anyone who reaches the frontend, behind its own login only; through the public web port, which no firewall closes`,
      }
    : {
        severity: "blocker",
        impact: `${unauthenticated}; through the public web port, which no firewall closes`,
      };
}

/** The path asked for from outside: the service's API under the location's prefix. */
export function apiPathOf(route: ProxiedService): string {
  const api = SERVICE_APIS[route.service];
  return `${route.prefix.endsWith("/") ? route.prefix : `${route.prefix}/`}${api?.path ?? ""}`;
}

/**
 * Each web service outsiders reach through the frontend's port, as a finding: its API answering there
 * without a password (Prometheus, Alertmanager: blockers; Grafana has its own login: a warning). A
 * firewall cannot close it, since the frontend's port is the one it keeps open.
 */
export function proxiedServiceFindings(
  answers: readonly PathAnswer[],
  routes: readonly ProxiedService[],
  from: string,
): Finding[] {
  return routes.flatMap((route) => {
    const api = SERVICE_APIS[route.service];
    const answer = answers.find((a) => a.port === route.port && a.path === apiPathOf(route));
    if (api === undefined || answer?.status !== 200 || !api.body.test(answer.body)) return [];
    const words = RUNBOOK_WORDS[route.service];
    const { severity, impact } = handedOutImpact(route.service);
    return [
      finding(
        `${route.service}-through-frontend`,
        severity,
        "drift",
        route.port,
        words === undefined
          ? runbook().cite(RunbookSections.table, "| Frontend (Nginx) | `Docker` | 3000 |")
          : runbook().cite(words.section, words.quote),
        `GET :${route.port}${apiPathOf(route)} from outside (${from}): ${answer.what}, ${api.name}'s API (nginx's location ${route.prefix})`,
        impact,
      ),
    ];
  });
}
