import type { Finding } from "../findings/finding.ts";
import type { Host } from "../host/host.ts";
import { RUNBOOK_SERVICES, type RunbookService } from "../profile/profile.ts";
import { composeContainers } from "../stack/topology-audit.ts";
import type { Stack } from "../stack/stack.ts";
import {
  apiPathOf,
  exposureFindings,
  portsToProbe,
  proxiedServiceFindings,
  WEB_SERVICES,
  webServiceAt,
  type ExposureContext,
  type ProxiedService,
} from "./exposure.ts";
import type { PathAnswer, PortAnswer } from "./port-probe.ts";

/** What the exposure audit saw: from where, at which address, every probed port's answer, the findings. */
export interface ExposureReport {
  readonly from: string;
  readonly address: string;
  /** Where the harness's own forwards come from, if outsiders share that network (OutsideView). */
  readonly harnessSource?: string;
  readonly answers: readonly PortAnswer[];
  /** What the frontend's port hands out of the stack's web services (the APIs under nginx's locations). */
  readonly paths: readonly PathAnswer[];
  readonly findings: readonly Finding[];
  /** The ports compose publishes for the frontend: the ones meant to answer. */
  readonly frontendPorts: readonly number[];
  /** Every port compose publishes, by service (the runbook's name where it has one). */
  readonly published: ReadonlyMap<number, string>;
}

/**
 * The TCP ports listening on the host, each with who holds it ("uvicorn (sattva-backend.service)"),
 * from `ss -ltnpH`; the unit comes from `ps -o unit=` where procps knows it.
 */
export async function listeningPorts(host: Host): Promise<Map<number, string>> {
  const ss = await host.run("ss -ltnpH", { check: false });
  const holders = new Map<number, { command: string; pid: string }>();
  for (const line of ss.stdout.split("\n")) {
    const local = line.trim().split(/\s+/)[3];
    const port = Number(local?.slice(local.lastIndexOf(":") + 1));
    if (!Number.isInteger(port) || port <= 0) continue;
    const [, command = "?", pid = ""] = /users:\(\("([^"]*)",pid=(\d+)/.exec(line) ?? [];
    if (!holders.has(port)) holders.set(port, { command, pid });
  }
  const pids = [...new Set([...holders.values()].map((h) => h.pid).filter((pid) => pid !== ""))];
  const units = new Map<string, string>();
  if (pids.length > 0) {
    const ps = await host.run(`ps -o pid=,unit= -p ${pids.join(",")}`, { check: false });
    for (const [pid = "", unit = ""] of ps.stdout.split("\n").map((l) => l.trim().split(/\s+/)))
      if (unit.endsWith(".service")) units.set(pid, unit);
  }
  return new Map(
    [...holders].map(([port, { command, pid }]) => {
      const unit = units.get(pid);
      return [port, unit === undefined ? command : `${command} (${unit})`];
    }),
  );
}

/** The ports compose publishes, by service: the runbook's name of it where it plays a runbook part. */
async function publishedPorts(stack: Stack): Promise<Map<number, string>> {
  const runbookName = new Map(
    RUNBOOK_SERVICES.flatMap((role) => {
      const service = stack.deployment.service(role);
      return service === undefined ? [] : [[service, role] as const];
    }),
  );
  const published = new Map<number, string>();
  for (const container of await composeContainers(stack))
    for (const publisher of container.Publishers ?? [])
      if (publisher.PublishedPort > 0)
        published.set(publisher.PublishedPort, runbookName.get(container.Service) ?? container.Service);
  return published;
}

/**
 * Monitoring services on the host's own network (`network_mode: host`), by the port they listen on:
 * Docker publishes nothing for them, so what answers there is theirs.
 */
async function servicesOnHostNetwork(stack: Stack): Promise<Map<number, string>> {
  const onHost = new Map<number, string>();
  for (const [role, port] of [
    ["prometheus", 9090],
    ["alertmanager", 9093],
  ] as const) {
    const service = stack.deployment.service(role);
    if (service !== undefined && (await stack.onHostNetwork(service))) onHost.set(port, role);
  }
  return onHost;
}

/**
 * The ports users reach the frontend on: the ones Docker publishes for it, or, for a frontend on the
 * host's own network (nothing published), the one its nginx listens on.
 */
function frontendPorts(stack: Stack, published: ReadonlyMap<number, string>): number[] {
  const ports = [...published].filter(([, service]) => service === "frontend").map(([port]) => port);
  const { port, loopbackOnly } = stack.deployment.frontend;
  return ports.length > 0 || loopbackOnly ? ports : [port];
}

/**
 * The frontend nginx's locations that proxy to one of the stack's web services (Prometheus,
 * Alertmanager, Grafana): named as compose names the service or its container, or the host's address
 * at the port the service is published or listens on.
 */
function proxiedServices(
  stack: Stack,
  frontendPorts: readonly number[],
  published: ReadonlyMap<number, string>,
  onHost: ReadonlyMap<number, string>,
): ProxiedService[] {
  const byName = new Map<string, string>();
  for (const role of WEB_SERVICES) {
    const service = stack.deployment.service(role as RunbookService);
    if (service === undefined) continue;
    byName.set(service, role);
    const container = stack.deployment.containerNames.get(service);
    if (container !== undefined) byName.set(container, role);
  }
  const byHostPort = new Map([...published, ...onHost]);
  return stack.deployment.frontendProxies.flatMap(({ prefix, target }) => {
    const service = webServiceAt(target, byName, byHostPort);
    if (service === undefined) return [];
    return frontendPorts.map((port) => ({ port, prefix, service }));
  });
}

/**
 * The stack seen from outside its host: every port the stack and the harness may open, and every port
 * listening there, probed from another machine's network (Host.outside), each answer judged.
 */
export async function auditExposure(stack: Stack): Promise<ExposureReport> {
  const outside = await stack.host.outside();
  const listening = await listeningPorts(stack.host);
  const published = await publishedPorts(stack);
  const frontend = frontendPorts(stack, published);
  const onHost = frontend.find((port) => !published.has(port));
  const context: ExposureContext = {
    backendPort: stack.deployment.profile.backend.port,
    published,
    listening,
    ...(onHost === undefined ? {} : { frontendOnHost: onHost }),
    servicesOnHost: await servicesOnHostNetwork(stack),
  };
  const routes = proxiedServices(stack, frontend, published, context.servicesOnHost ?? new Map());
  const probed = await outside.probe({
    ports: portsToProbe([...listening.keys()], context),
    paths: routes.map((route) => ({ port: route.port, path: apiPathOf(route) })),
  });
  return {
    from: outside.from,
    address: outside.address,
    ...(outside.harnessSource === undefined ? {} : { harnessSource: outside.harnessSource }),
    answers: probed.ports,
    paths: probed.paths,
    findings: [
      ...exposureFindings(probed.ports, context, outside.from),
      ...proxiedServiceFindings(probed.paths, routes, outside.from),
    ],
    published: context.published,
    frontendPorts: frontend,
  };
}

/**
 * One line per probed port, for the journal and people: `:8000  answers  HTTP 200 (uvicorn)`; then one
 * per web service's API asked for through the frontend: `:3000/prometheus/api/v1/status/buildinfo  HTTP 200 (nginx)`.
 */
export function describeAnswers(seen: Pick<ExposureReport, "answers" | "paths">): string {
  return [
    ...seen.answers.map(
      (a) => `:${String(a.port).padEnd(5)} ${a.answered ? "answers " : "silent  "} ${a.what}`,
    ),
    ...seen.paths.map((a) => `:${a.port}${a.path}  ${a.what}`),
  ].join("\n");
}
