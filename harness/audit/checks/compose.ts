import path from "node:path";
import type { Finding, Severity } from "../../findings/finding.ts";
import { CATALOGUE, catalogueServiceOf } from "../../images/catalogue.ts";
import { dockerfileBases } from "../../parse/dockerfile.ts";
import { whereIn } from "../../parse/yaml-file.ts";
import {
  composeServiceFor,
  RUNBOOK_SERVICE_IMAGES,
  RUNBOOK_SERVICES,
  type RunbookService,
} from "../../profile/profile.ts";
import { runbook, RunbookSections, type Citation } from "../../runbook/runbook.ts";
import type { ComposeModel, ComposeService } from "../compose-model.ts";
import { startedBy, startedByDefault } from "../compose-model.ts";
import type { AuditCheck, AuditContext } from "../context.ts";
import { DEV_FLAGS, devEnvironment } from "./units.ts";

const rb = () => runbook();

/** Ports the runbook's table gives Docker services that users reach (frontend, Grafana, Prometheus, Alertmanager). */
const RUNBOOK_PUBLIC_PORTS: ReadonlyMap<number, RunbookService> = new Map([
  [3000, "frontend"],
  [3001, "grafana"],
  [9090, "prometheus"],
  [9093, "alertmanager"],
]);

/** The runbook role a compose service plays in this checkout, if any. */
export function roleOf(context: AuditContext, service: string): RunbookService | undefined {
  return RUNBOOK_SERVICES.find((role) => composeServiceFor(context.profile, role) === service);
}

function where(context: AuditContext, steps: readonly (string | number)[]): { file?: string; line?: number } {
  const found = whereIn(context.compose.files, steps);
  return found ?? (context.compose.files[0] === undefined ? {} : { file: context.compose.files[0].file });
}

/** Runs a check on the compose model, or skips it when there is none (no file, or compose refused it). */
function onModel(run: (model: ComposeModel, context: AuditContext) => Finding[]): AuditCheck["run"] {
  return (context) =>
    context.compose.model === undefined
      ? {
          skipped:
            context.compose.files.length === 0
              ? "the checkout has no compose file"
              : "`docker compose config` refused the compose files (see validate.compose)",
        }
      : run(context.compose.model, context);
}

const tableSays = (quote: string): Citation => rb().cite(RunbookSections.table, quote);
const startSays = (): Citation => rb().cite(RunbookSections.startOrder, rb().composeUp.command);

const runbookServices: AuditCheck = {
  id: "compose.runbook-services",
  title: "the runbook's `docker compose up -d …` names services the compose file has, and starts no backend",
  run: onModel((model, context) => {
    const findings: Finding[] = [];
    const { command, services } = rb().composeUp;
    const names: string[] = [];
    for (const role of services) {
      const name = composeServiceFor(context.profile, role);
      if (name === undefined) {
        findings.push({
          id: "compose.runbook-services",
          severity: "info",
          kind: "drift",
          subject: role,
          ...where(context, ["services"]),
          runbook: startSays(),
          observed: `the profile says ${role} is not deployed`,
          impact: `the runbook's start command, run as written, fails on it; the harness leaves ${role} out`,
        });
        continue;
      }
      names.push(name);
      if (model.services.has(name)) continue;
      const renamed = context.checkout.departs((p) => p.compose.services[role]);
      findings.push({
        id: "compose.runbook-services",
        severity: "blocker",
        kind: "drift",
        subject: name,
        ...where(context, ["services"]),
        runbook: startSays(),
        observed: `no compose service ${name}${renamed ? ` (the profile's name for ${role})` : ""}; the file has ${[...model.services.keys()].join(", ")}`,
        impact: `\`${command}\` fails at once (no such service: ${name}) and starts nothing${renamed ? "" : "; if it has another name here, say so in the profile (compose.services)"}`,
      });
    }
    const backend = composeServiceFor(context.profile, "backend");
    const started = startedBy(
      model,
      names.filter((n) => model.services.has(n)),
    );
    if (backend !== undefined && started.has(backend)) {
      const via = names.filter((n) => model.services.get(n)?.dependsOn.includes(backend));
      findings.push({
        id: "compose.runbook-services",
        severity: "blocker",
        kind: "drift",
        subject: backend,
        ...where(context, ["services", via[0] ?? backend, "depends_on"]),
        runbook: rb().cite(RunbookSections.startOrder, "# 1. Запустить Docker сервисы (БЕЗ backend!)"),
        observed: `${via.join(", ")} depends on ${backend}, so the documented start also starts the Docker backend`,
        impact:
          "the Docker backend takes :8000 before the systemd backend starts: the systemd backend crash-loops on 'address already in use' (the port-8000 conflict)",
        scenario: "port-8000-conflict",
      });
    }
    return findings;
  }),
};

const undocumented: AuditCheck = {
  id: "compose.undocumented-services",
  title: "services the runbook does not mention, and which of the runbook's commands start them",
  run: onModel((model, context) => {
    const documented = new Set(RUNBOOK_SERVICES.map((role) => composeServiceFor(context.profile, role)));
    const byDefault = startedByDefault(model);
    const { services } = rb().composeUp;
    const byRunbookOrder = startedBy(
      model,
      services.flatMap((role) => composeServiceFor(context.profile, role) ?? []),
    );
    return [...model.services.values()]
      .filter((service) => !documented.has(service.name))
      .map((service): Finding => {
        const startedByOrder = byRunbookOrder.has(service.name);
        const startedByRestart = byDefault.has(service.name);
        return {
          id: "compose.undocumented-services",
          severity: startedByRestart || startedByOrder ? "warning" : "info",
          kind: "drift",
          subject: service.name,
          ...where(context, ["services", service.name]),
          runbook: tableSays("| Сервис | Метод | Порт | Причина выбора |"),
          observed: `compose service ${service.name} is not in the runbook's table${service.profiles.length > 0 ? ` (profiles: ${service.profiles.join(", ")})` : ""}`,
          impact: startedByOrder
            ? `the documented start order starts it (a documented service depends on it), though the runbook never says so`
            : startedByRestart
              ? "the runbook's full restart (`docker compose down && docker compose up -d`) starts it, the documented start order does not: after a full restart the host runs something else than after a normal start"
              : "only started by name; no runbook command starts it",
        };
      });
  }),
};

const backendInCompose: AuditCheck = {
  id: "compose.backend",
  title: "the backend defined in compose next to its systemd unit",
  run: onModel((model, context) => {
    const name = composeServiceFor(context.profile, "backend");
    const service = name === undefined ? undefined : model.services.get(name);
    if (service === undefined || service.profiles.length > 0) return [];
    const port = context.profile.backend.port;
    const clashes = service.ports.some((p) => p.published === port);
    return [
      {
        id: "compose.backend",
        severity: "info",
        kind: "runbook",
        subject: service.name,
        ...where(context, ["services", service.name]),
        runbook: rb().cite(
          RunbookSections.dont,
          "docker compose up -d  # НЕПРАВИЛЬНО! Включит Docker backend!",
        ),
        observed: `compose defines ${service.name}${clashes ? ` on :${port}` : ""} with no profile, while the systemd unit runs the backend`,
        impact: `the runbook's own full restart (\`docker compose down && docker compose up -d\`) starts it${clashes ? " and it collides with the systemd backend on the port" : ""}; a profile (\`profiles: [docker-backend]\`) would keep plain \`up\` from starting it`,
        scenario: "port-8000-conflict",
      },
    ];
  }),
};

const images: AuditCheck = {
  id: "compose.images",
  title: "every service's image can be had offline (the catalogue) or built here; what online mode needs",
  run: onModel((model, context) => {
    const findings: Finding[] = [];
    const add = (service: ComposeService, severity: Severity, observed: string, impact: string) =>
      findings.push({
        id: "compose.images",
        severity,
        kind: "drift",
        subject: service.name,
        ...where(context, ["services", service.name, service.build === undefined ? "image" : "build"]),
        runbook: tableSays("| Сервис | Метод | Порт | Причина выбора |"),
        observed,
        impact,
      });
    for (const service of model.services.values()) {
      const mapped = context.profile.compose.images[service.name];
      const role = roleOf(context, service.name);
      if (mapped !== undefined || role === "backend") continue; // the backend's image is made from its venv offline
      if (service.build !== undefined) {
        const dockerfile = context.checkout.fromHost(
          path.posix.join(service.build.context, service.build.dockerfile),
        );
        const bases =
          dockerfile === undefined ? [] : dockerfileBases(context.dockerfiles.get(dockerfile) ?? "");
        const missing = bases.filter((base) => catalogueServiceOf(base) === undefined);
        if (dockerfile !== undefined && !context.checkout.has(dockerfile)) {
          add(
            service,
            "blocker",
            `${service.name} is built from ${dockerfile}, which is not in the checkout`,
            "`docker compose up` fails to build it in either mode",
          );
        } else if (missing.length > 0 || bases.length === 0) {
          add(
            service,
            "warning",
            `${service.name} is only built (build: ${context.checkout.fromHost(service.build.context) ?? service.build.context}), from ${bases.join(", ") || "an unknown base"}`,
            `offline, the harness cannot build it: skipped: needs image ${missing.join(", ") || "its base"} offline; \`--mode online\` builds it`,
          );
        }
        continue;
      }
      const image = service.image ?? "";
      const catalogued =
        catalogueServiceOf(image) ?? (role === undefined ? undefined : RUNBOOK_SERVICE_IMAGES[role]);
      if (catalogued === undefined) {
        add(
          service,
          "warning",
          `${service.name} runs ${image}, which the harness has no offline image for`,
          `offline: skipped: needs image ${image} offline (map it in the profile's compose.images, or use --mode online)`,
        );
      } else {
        const source = CATALOGUE[catalogued].offline;
        if (source.kind === "unavailable")
          add(
            service,
            "info",
            `${service.name} runs ${image}`,
            `offline: skipped: ${source.reason}; \`--mode online\` pulls it`,
          );
      }
    }
    return findings;
  }),
};

const devFlags: AuditCheck = {
  id: "compose.dev-flags",
  title: "no service runs a development server or debug mode",
  run: onModel((model, context) =>
    [...model.services.values()].flatMap((service): Finding[] => {
      const flags = service.command.filter((word) => DEV_FLAGS.test(word.split("=")[0] ?? ""));
      const env = [...service.environment]
        .filter(([name, value]) => devEnvironment(name, value))
        .map(([name]) => name);
      if (flags.length === 0 && env.length === 0) return [];
      return [
        {
          id: "compose.dev-flags",
          severity: "warning",
          kind: "drift",
          subject: service.name,
          ...where(context, ["services", service.name, flags.length > 0 ? "command" : "environment"]),
          runbook: tableSays("| Сервис | Метод | Порт | Причина выбора |"),
          observed: [
            flags.length > 0 ? `command has ${flags.join(" ")}` : "",
            env.length > 0 ? `${env.join(", ")} set for development` : "",
          ]
            .filter(Boolean)
            .join("; "),
          impact:
            "a development setting in production: an auto-reloader restarts the service on every file change, debug mode shows tracebacks to clients",
        },
      ];
    }),
  ),
};

const networks: AuditCheck = {
  id: "compose.networks",
  title: "internal networks: published ports, and the way to the host's 172.17.0.1",
  run: onModel((model, context) => {
    const findings: Finding[] = [];
    for (const service of model.services.values()) {
      const attached =
        service.networkMode === undefined
          ? service.networks.length === 0
            ? ["default"]
            : service.networks
          : [];
      const internalOnly =
        attached.length > 0 && attached.every((n) => model.networks.get(n)?.internal === true);
      const isolated = internalOnly || service.networkMode === "none";
      if (!isolated) continue;
      const role = roleOf(context, service.name);
      const reasons: string[] = [];
      if (service.ports.length > 0)
        reasons.push(
          `its published ports (${service.ports.map((p) => p.published ?? p.target).join(", ")}) are not published: Docker publishes nothing for a container on internal networks only`,
        );
      if (role === "frontend")
        reasons.push(
          "nginx cannot reach the backend at 172.17.0.1:8000: every /api/ request fails (502 or 504)",
        );
      if (role === "prometheus")
        reasons.push(
          "Prometheus cannot scrape the backend and the streamer on the host: their targets are always down",
        );
      if (role === "alertmanager")
        reasons.push("Alertmanager cannot deliver a notification to anyone outside");
      if (reasons.length === 0) continue;
      findings.push({
        id: "compose.networks",
        severity: role === undefined ? "warning" : "blocker",
        kind: "drift",
        subject: service.name,
        ...where(context, [
          "services",
          service.name,
          service.networkMode === undefined ? "networks" : "network_mode",
        ]),
        runbook: rb().cite(RunbookSections.nginx, "proxy_pass http://172.17.0.1:8000;"),
        observed:
          service.networkMode === "none"
            ? `${service.name} has network_mode: none`
            : `${service.name} is only on internal network(s) ${attached.join(", ")}`,
        impact: reasons.join("; "),
        ...(role === "frontend" ? { scenario: "nginx-502" } : {}),
      });
    }
    return findings;
  }),
};

const publicPorts: AuditCheck = {
  id: "compose.public-ports",
  title: "ports published on every interface beyond the runbook's",
  run: onModel((model, context) =>
    [...model.services.values()].flatMap((service) =>
      service.ports.flatMap((port, index): Finding[] => {
        if (
          !(port.hostIp === "" || port.hostIp === "0.0.0.0" || port.hostIp === "::") ||
          port.published === undefined
        )
          return [];
        const role = roleOf(context, service.name);
        if (RUNBOOK_PUBLIC_PORTS.get(port.published) === role && role !== undefined) return [];
        if (role === "backend" && port.published === context.profile.backend.port) return []; // compose.backend says it
        const dataStore = role === "db" || role === "redis";
        return [
          {
            id: "compose.public-ports",
            // The frontend is the public entry: only its port differs from the runbook's 3000.
            severity: dataStore ? "blocker" : role === "frontend" ? "info" : "warning",
            kind: "drift",
            subject: `${service.name}:${port.published}`,
            ...where(context, ["services", service.name, "ports", index]),
            runbook: rb().cite(RunbookSections.diagram, "localhost (Redis :6379)"),
            observed: `${service.name} publishes :${port.published} on every interface`,
            impact: `${dataStore ? `${role === "redis" ? "Redis (no password by default)" : "PostgreSQL"} is open to the internet: ` : ""}Docker's own iptables rules publish it ahead of a host firewall such as UFW; the services on the host reach it on 127.0.0.1, so \`127.0.0.1:${port.published}:${port.target}\` is enough`,
          },
        ];
      }),
    ),
  ),
};

/**
 * The `.env` compose reads by itself in its project folder (the first compose file's) for its
 * `${VARIABLES}`, when the checkout has only its example: the runbook's `docker compose up` then runs
 * without the values. (The audit validates compose with it made from the example, as a test host has it.)
 */
function projectEnvOnlyAsExample(context: AuditContext): Finding[] {
  const [first] = context.profile.compose.files;
  const rel = path.join(path.dirname(first ?? "docker-compose.yml"), ".env");
  const example = context.checkout.exampleOf(rel);
  const interpolating = context.compose.files.find((f) => f.lineOfScalarContaining("${") !== undefined);
  if (context.checkout.has(rel) || example === undefined || interpolating === undefined) return [];
  if (context.compose.missingEnvFiles.includes(rel)) return [];
  const needs = context.envExamples.get(example) ?? [];
  const line = interpolating.lineOfScalarContaining("${");
  return [
    {
      id: "compose.env-files",
      severity: "warning",
      kind: "drift",
      subject: rel,
      file: interpolating.file,
      ...(line === undefined ? {} : { line }),
      runbook: startSays(),
      observed: `${rel}, which compose reads for the \${VARIABLES} of ${interpolating.file}, is not in the checkout (only ${example} is${needs.length === 0 ? "" : `, leaving ${needs.join(", ")} to fill`})`,
      impact: `the runbook never makes ${rel} from ${example}: followed as written, \`docker compose up\` leaves those variables empty (a service starts with an empty password) or refuses to start (\${VAR:?})`,
    },
  ];
}

const envFiles: AuditCheck = {
  id: "compose.env-files",
  title: "env files the compose file references exist (or have an example to make them from)",
  run(context) {
    return [
      ...context.compose.missingEnvFiles.map((rel): Finding => {
        const example = context.checkout.exampleOf(rel);
        const needs = context.envExamples.get(example ?? "") ?? [];
        const owner = context.compose.files.find(
          (f) => f.lineOfScalarContaining(path.basename(rel)) !== undefined,
        );
        return {
          id: "compose.env-files",
          // Made from its example at deploy time (as on the harness's test hosts): a step the runbook omits.
          severity: example === undefined ? "blocker" : "warning",
          kind: "drift",
          subject: rel,
          ...(owner === undefined
            ? {}
            : { file: owner.file, line: owner.lineOfScalarContaining(path.basename(rel)) }),
          runbook: startSays(),
          observed: `env_file ${rel} is not in the checkout${example === undefined ? "" : `; ${example} lists ${needs.length} variable(s) to fill${needs.length === 0 ? "" : `: ${needs.join(", ")}`}`}`,
          impact:
            example === undefined
              ? `\`docker compose up\` refuses to start any service (env file ${rel} not found) until it is made, and nothing in the checkout says what it holds`
              : `the runbook never makes ${rel} from ${example}: followed as written, \`docker compose up\` refuses to start any service (env file ${rel} not found)`,
        };
      }),
      ...projectEnvOnlyAsExample(context),
    ];
  },
};

const variables: AuditCheck = {
  id: "compose.variables",
  title: "every ${VARIABLE} the compose file uses is set",
  run(context) {
    const warnings = context.composeWarnings;
    return warnings.flatMap((name): Finding[] => {
      const owner = context.compose.files.find(
        (f) =>
          f.lineOfScalarContaining(`$${name}`) !== undefined ||
          f.lineOfScalarContaining(`\${${name}`) !== undefined,
      );
      const line = owner?.lineOfScalarContaining(`\${${name}`) ?? owner?.lineOfScalarContaining(`$${name}`);
      return [
        {
          id: "compose.variables",
          severity: "warning",
          kind: "drift",
          subject: name,
          ...(owner === undefined ? {} : { file: owner.file, ...(line === undefined ? {} : { line }) }),
          runbook: startSays(),
          observed: `\${${name}} is not set (no .env beside the compose file, or it lacks ${name}), and has no default`,
          impact: `compose uses an empty string for ${name}: the service starts misconfigured (an empty password or token) instead of failing`,
        },
      ];
    });
  },
};

const names: AuditCheck = {
  id: "compose.names",
  title: "the project and container names the runbook's commands use",
  run: onModel((model, context) => {
    const findings: Finding[] = [];
    const project = context.profile.compose.project;
    if (model.name !== project && !context.checkout.departs((p) => p.compose.project)) {
      findings.push({
        id: "compose.names",
        severity: "warning",
        kind: "drift",
        subject: model.name,
        ...where(context, ["name"]),
        runbook: rb().cite(RunbookSections.nginx502, "docker logs sattva-streamer-frontend-1"),
        observed: `the compose project is ${model.name}, not ${project}`,
        impact: `the runbook's \`docker logs sattva-streamer-frontend-1\`, \`docker exec sattva-streamer-frontend-1 …\` and \`docker stop sattva-streamer-backend-1\` name containers that do not exist (they are ${model.name}-…-1)`,
      });
    }
    for (const service of model.services.values()) {
      if (service.containerName === undefined) continue;
      findings.push({
        id: "compose.names",
        severity: roleOf(context, service.name) === undefined ? "info" : "warning",
        kind: "drift",
        subject: service.name,
        ...where(context, ["services", service.name, "container_name"]),
        runbook: rb().cite(RunbookSections.port8000, "docker stop sattva-streamer-backend-1"),
        observed: `container_name: ${service.containerName}`,
        impact: `the runbook's commands address ${model.name}-${service.name}-1, which does not exist; a fixed name also keeps compose from recreating or scaling it`,
      });
    }
    return findings;
  }),
};

const restartPolicies: AuditCheck = {
  id: "compose.restart",
  title: "the documented services come back after a reboot (a restart policy)",
  run: onModel((model, context) => {
    const { services } = rb().composeUp;
    return services.flatMap((role): Finding[] => {
      const name = composeServiceFor(context.profile, role);
      const service = name === undefined ? undefined : model.services.get(name);
      if (service === undefined || (service.restart !== undefined && service.restart !== "no")) return [];
      return [
        {
          id: "compose.restart",
          severity: "warning",
          kind: "drift",
          subject: service.name,
          ...where(context, ["services", service.name]),
          runbook: startSays(),
          observed: `${service.name} has no restart policy`,
          impact: `after a reboot (or a crash) ${service.name} stays down until someone runs the start order again by hand${role === "db" ? ": the backend answers 503" : ""}`,
          scenario: "db-not-ready",
        },
      ];
    });
  }),
};

const mounts: AuditCheck = {
  id: "compose.mounts",
  title: "files the compose file mounts from the checkout exist",
  run: onModel((model, context) =>
    [...model.services.values()].flatMap((service) =>
      service.volumes.flatMap((volume, index): Finding[] => {
        if (volume.type !== "bind" || volume.source === undefined) return [];
        const rel = context.checkout.fromHost(volume.source);
        if (
          rel === undefined ||
          context.checkout.has(rel) ||
          context.checkout.files.some((f) => f.startsWith(`${rel}/`))
        )
          return [];
        return [
          {
            id: "compose.mounts",
            severity: roleOf(context, service.name) === undefined ? "warning" : "blocker",
            kind: "drift",
            subject: service.name,
            ...where(context, ["services", service.name, "volumes", index]),
            runbook: tableSays("| Сервис | Метод | Порт | Причина выбора |"),
            observed: `${service.name} mounts ${rel} at ${volume.target}, which is not in the checkout`,
            impact: `Docker creates an empty directory ${rel} in its place: ${service.name} starts without its configuration or fails to read it`,
          },
        ];
      }),
    ),
  ),
};

const workingDirectory: AuditCheck = {
  id: "compose.runbook-cwd",
  title: "the runbook's `docker compose` commands, run in the stack's root, find the compose file",
  run(context) {
    const [first] = context.compose.files;
    if (first === undefined || path.dirname(first.file) === "." || context.rootEnv.has("COMPOSE_FILE"))
      return [];
    return [
      {
        id: "compose.runbook-cwd",
        severity: "warning",
        kind: "drift",
        subject: first.file,
        file: first.file,
        runbook: rb().cite(RunbookSections.startOrder, "cd /opt/sattva-streamer"),
        observed: `the compose file is ${first.file}, not at the stack's root`,
        impact: `the runbook's \`cd ${context.profile.root} && docker compose …\` finds no compose file (no configuration file provided): every documented Docker command needs -f ${first.file} or COMPOSE_FILE`,
      },
    ];
  },
};

export const COMPOSE_CHECKS: readonly AuditCheck[] = [
  runbookServices,
  undocumented,
  backendInCompose,
  images,
  devFlags,
  networks,
  publicPorts,
  envFiles,
  variables,
  names,
  restartPolicies,
  mounts,
  workingDirectory,
];
