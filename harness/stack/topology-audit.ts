import type { Finding } from "../findings/finding.ts";
import { listenersOn } from "../probes/ports.ts";
import { runbookContradictions } from "../runbook/contradictions.ts";
import { runbook, RunbookSections, type Citation } from "../runbook/runbook.ts";
import { STACK_ROOT } from "./stack-layout.ts";
import { venvNotBuilt } from "./steady-state.ts";
import type { Stack } from "./stack.ts";
import type { RunbookService } from "../profile/profile.ts";

/**
 * The running host against the documented architecture: what the static audit (`sattva-chaos audit`)
 * reads in a checkout, seen on a live host. Findings of kind `drift` are where this host departs from
 * the runbook; kind `runbook` where a host built exactly as documented is wrong, checked on the host
 * where they can be, plus the runbook's contradictions in its own text.
 */

/** Ports the runbook's table gives for Docker services (published on every interface on the VPS). */
const DOCUMENTED_PUBLIC_PORTS = new Set([3000, 3001, 9090, 9093]);
/** Units the runbook puts on the host, by their names in this deployment, each to be enabled so it comes back after a reboot. */
const documentedUnits = (stack: Stack) =>
  (["backend", "streamer", "timer"] as const)
    .filter((role) => stack.deployment.unitsPresent.has(role))
    .map((role) => stack.deployment.unit(role));

type Detector = (stack: Stack) => Promise<Finding[]>;

function onHost(
  id: string,
  severity: Finding["severity"],
  kind: Finding["kind"],
  subject: string,
  runbookSays: Citation,
  observed: string,
  impact: string,
  scenario?: string,
): Finding {
  return {
    id: `topology.${id}`,
    severity,
    kind,
    subject,
    runbook: runbookSays,
    observed,
    impact,
    ...(scenario === undefined ? {} : { scenario }),
  };
}

const rb = () => runbook();

/** A container of the compose project, as `docker compose ps --format json` lists it. */
export interface ComposeContainer {
  Name: string;
  Service: string;
  State: string;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number }[] | null;
}

export async function composeContainers(stack: Stack): Promise<ComposeContainer[]> {
  const ps = await stack.compose("ps -a --format json", { check: false });
  // Compose prints one JSON object per line (v2.21+) or one array (older).
  const text = ps.stdout.trim();
  if (text === "") return [];
  return text.startsWith("[")
    ? (JSON.parse(text) as ComposeContainer[])
    : text.split("\n").map((line) => JSON.parse(line) as ComposeContainer);
}

const backendInDocker: Detector = async (stack) =>
  (await composeContainers(stack))
    .filter((c) => c.Service === stack.deployment.service("backend") && c.State === "running")
    .map((c) =>
      onHost(
        "backend-in-docker",
        "blocker",
        "drift",
        c.Name,
        rb().cite(RunbookSections.dont, "docker compose up -d backend  # НЕПРАВИЛЬНО! Конфликт портов!"),
        `${c.Name} runs the backend in Docker; the runbook runs it under systemd (${stack.deployment.unit("backend")})`,
        "the Docker backend and the systemd one fight over :8000: one of them crash-loops",
        "port-8000-conflict",
      ),
    );

const port8000HeldByDocker: Detector = async (stack) => {
  const owners = await listenersOn(stack.host, 8000);
  return owners.some((l) => l.command === "docker-proxy")
    ? [
        onHost(
          "port-8000",
          "blocker",
          "drift",
          ":8000",
          rb().cite(RunbookSections.port8000, "lsof -i :8000"),
          "docker-proxy owns :8000: a Docker container publishes the backend's port",
          "the systemd backend cannot bind it and crash-loops (the port-8000 conflict)",
          "port-8000-conflict",
        ),
      ]
    : [];
};

const unitsNotEnabled: Detector = async (stack) => {
  const findings: Finding[] = [];
  for (const unit of documentedUnits(stack)) {
    const state = (await stack.host.run(`systemctl is-enabled ${unit}`, { check: false })).stdout.trim();
    if (state !== "enabled")
      findings.push(
        onHost(
          "unit-not-enabled",
          "warning",
          "drift",
          unit,
          unit === stack.deployment.unit("timer")
            ? rb().cite(RunbookSections.timer, "systemctl enable --now yt-dlp-update.timer")
            : rb().cite(RunbookSections.startOrder, `systemctl start ${unit.replace(/\.service$/, "")}`),
          `${unit} is ${state || "missing"}`,
          "it will not come back after a reboot",
          "db-not-ready",
        ),
      );
  }
  return findings;
};

const undocumentedPublicPorts: Detector = async (stack) => {
  const service = (role: RunbookService) => stack.deployment.service(role);
  const dataStores = new Set([service("db"), service("redis")]);
  // The frontend is the public entry: the port it is published on is the static audit's finding
  // (compose.public-ports), and the exposure audit probes it.
  const containers = (await composeContainers(stack)).filter((c) => c.Service !== service("frontend"));
  return containers.flatMap((c) =>
    (c.Publishers ?? [])
      .filter(
        (p) =>
          p.PublishedPort > 0 &&
          (p.URL === "0.0.0.0" || p.URL === "::") &&
          !DOCUMENTED_PUBLIC_PORTS.has(p.PublishedPort),
      )
      // The compose backend on the backend's port is reported as the port-8000 conflict.
      .filter(
        (p) =>
          !(c.Service === service("backend") && p.PublishedPort === stack.deployment.profile.backend.port),
      )
      .map((p) =>
        onHost(
          "public-port",
          dataStores.has(c.Service) ? "blocker" : "warning",
          "drift",
          `${c.Service}:${p.PublishedPort}`,
          rb().cite(RunbookSections.diagram, "localhost (Redis :6379)"),
          `${c.Name} publishes :${p.PublishedPort} on all interfaces; the runbook does not expose it`,
          "anyone who reaches the VPS reaches it: Docker's rules publish it ahead of a host firewall",
        ),
      ),
  );
};

/** The backend unit orders itself after units that do not exist on the host: DB and Redis run in Docker. */
const backendOrderingIsVoid: Detector = async (stack) => {
  const after = (
    await stack.host.run(`systemctl show ${stack.deployment.unit("backend")} -p After --value`, {
      check: false,
    })
  ).stdout.split(/\s+/);
  const missing: string[] = [];
  for (const unit of ["postgresql.service", "redis.service"].filter((u) => after.includes(u))) {
    const load = (
      await stack.host.run(`systemctl show ${unit} -p LoadState --value`, { check: false })
    ).stdout.trim();
    if (load === "not-found") missing.push(unit);
  }
  return missing.length === 0
    ? []
    : [
        onHost(
          "void-ordering",
          "info",
          "runbook",
          stack.deployment.unit("backend"),
          rb().cite(RunbookSections.backendUnit, "After=network.target postgresql.service redis.service"),
          `After=${missing.join(" ")} names units that do not exist here (PostgreSQL and Redis run in Docker)`,
          "nothing orders the backend after the database: the race the runbook's `sleep 10` papers over",
          "db-not-ready",
        ),
      ];
};

const ytDlpNotInBackendVenv: Detector = async (stack) => {
  const present = await stack.host.run(`test -x ${STACK_ROOT}/backend/venv/bin/yt-dlp`, { check: false });
  return present.exitCode === 0
    ? []
    : [
        onHost(
          "backend-venv-yt-dlp",
          "info",
          "runbook",
          "yt-dlp troubleshooting",
          rb().cite(RunbookSections.ytDlp, `${STACK_ROOT}/backend/venv/bin/yt-dlp --version`),
          `${STACK_ROOT}/backend/venv/bin/yt-dlp is not there: yt-dlp lives in the streamer's venv`,
          "the runbook's `yt-dlp --version` check cannot work, and its manual update installs yt-dlp into the backend's venv",
          "yt-dlp-broken",
        ),
      ];
};

const composeDefinesBackend: Detector = async (stack) => {
  const services = (await stack.compose("config --services", { check: false })).stdout.split("\n");
  return services.includes(stack.deployment.service("backend") ?? "backend")
    ? [
        onHost(
          "compose-backend",
          "info",
          "runbook",
          "docker-compose.yml",
          rb().cite(RunbookSections.dont, "docker compose up -d  # НЕПРАВИЛЬНО! Включит Docker backend!"),
          "the compose file defines `backend` on 8000:8000",
          "the runbook's own full restart (`docker compose down && docker compose up -d`) starts it and collides with the systemd backend",
          "port-8000-conflict",
        ),
      ]
    : [];
};

/**
 * A unit whose venv pip could not build here from the checkout's requirements: a pin no index has fails
 * in production too; one with no wheel for this host's Python may install there. Either way the
 * harness cannot run the unit, and says so in the run's findings as well as in each skipped check.
 */
const venvsNotBuilt: Detector = async (stack) => {
  // The runbook's ExecStart= of each unit, cited only for a venv that was not built.
  const execStart = {
    backend: () =>
      rb().cite(
        RunbookSections.backendUnit,
        "ExecStart=/opt/sattva-streamer/backend/venv/bin/python -m uvicorn src.main:app --host 0.0.0.0 --port 8000",
      ),
    streamer: () =>
      rb().cite(
        RunbookSections.streamerUnit,
        "ExecStart=/opt/sattva-streamer/streamer/venv/bin/python main.py",
      ),
  };
  const found: Finding[] = [];
  for (const role of ["backend", "streamer"] as const) {
    const why = await venvNotBuilt(stack, role);
    if (why === undefined) continue;
    found.push(
      onHost(
        "venv-not-built",
        "warning",
        "drift",
        stack.deployment.unit(role),
        execStart[role](),
        why,
        "the unit cannot run on this host: its checks are skipped and the tests that act on it are inconclusive; a pin no index has breaks production's next install too, one this Python has no wheel for needs the harness on a host with production's Python (ssh://)",
      ),
    );
  }
  return found;
};

const DETECTORS: readonly Detector[] = [
  venvsNotBuilt,
  backendInDocker,
  port8000HeldByDocker,
  unitsNotEnabled,
  undocumentedPublicPorts,
  backendOrderingIsVoid,
  ytDlpNotInBackendVenv,
  composeDefinesBackend,
];

/** Compares the running host with the documented architecture; every difference is a finding. */
export async function auditTopology(stack: Stack): Promise<Finding[]> {
  const detected = await Promise.all(DETECTORS.map((detect) => detect(stack)));
  return [...runbookContradictions(), ...detected.flat()];
}
