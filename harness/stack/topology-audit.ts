import { listenersOn } from "../probes/ports.ts";
import { STACK_ROOT } from "./stack-layout.ts";
import { SYSTEMD_SERVICES, type Stack } from "./stack.ts";

/**
 * One difference between the running host and the documented architecture. `runbook` findings are
 * contradictions of the runbook itself (a host built exactly as documented has them); `drift` findings
 * are where this host departs from the runbook.
 */
export interface Finding {
  readonly kind: "runbook" | "drift";
  readonly subject: string;
  readonly message: string;
}

/** Ports the runbook's table gives for Docker services (published on every interface on the VPS). */
const DOCUMENTED_PUBLIC_PORTS = new Set([3000, 3001, 9090, 9093]);
/** Units the runbook puts on the host, each to be enabled so it comes back after a reboot. */
const DOCUMENTED_UNITS = [...SYSTEMD_SERVICES.map((unit) => `${unit}.service`), "yt-dlp-update.timer"];

type Detector = (stack: Stack) => Promise<Finding[]>;

const drift = (subject: string, message: string): Finding => ({ kind: "drift", subject, message });
const runbook = (subject: string, message: string): Finding => ({ kind: "runbook", subject, message });

interface ComposeContainer {
  Name: string;
  Service: string;
  State: string;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number }[] | null;
}

async function composeContainers(stack: Stack): Promise<ComposeContainer[]> {
  const ps = await stack.run("docker compose ps -a --format json", { check: false });
  // Compose prints one JSON object per line (v2.21+) or one array (older).
  const text = ps.stdout.trim();
  if (text === "") return [];
  return text.startsWith("[")
    ? (JSON.parse(text) as ComposeContainer[])
    : text.split("\n").map((line) => JSON.parse(line) as ComposeContainer);
}

const backendInDocker: Detector = async (stack) => {
  const running = (await composeContainers(stack)).filter(
    (c) => c.Service === "backend" && c.State === "running",
  );
  return running.map((c) =>
    drift(
      "backend",
      `${c.Name} runs the backend in Docker; the runbook runs it under systemd (sattva-backend)`,
    ),
  );
};

const port8000HeldByDocker: Detector = async (stack) => {
  const owners = await listenersOn(stack.host, 8000);
  return owners.some((l) => l.command === "docker-proxy")
    ? [
        drift(
          ":8000",
          "docker-proxy owns :8000: a Docker container publishes the backend's port (the port-8000 conflict)",
        ),
      ]
    : [];
};

const unitsNotEnabled: Detector = async (stack) => {
  const findings: Finding[] = [];
  for (const unit of DOCUMENTED_UNITS) {
    const state = (await stack.host.run(`systemctl is-enabled ${unit}`, { check: false })).stdout.trim();
    if (state !== "enabled")
      findings.push(drift(unit, `${unit} is ${state || "missing"}: it will not come back after a reboot`));
  }
  return findings;
};

const undocumentedPublicPorts: Detector = async (stack) =>
  (await composeContainers(stack)).flatMap((c) =>
    (c.Publishers ?? [])
      .filter(
        (p) =>
          p.PublishedPort > 0 &&
          (p.URL === "0.0.0.0" || p.URL === "::") &&
          !DOCUMENTED_PUBLIC_PORTS.has(p.PublishedPort),
      )
      .filter((p) => !(c.Service === "backend" && p.PublishedPort === 8000)) // reported as the port-8000 conflict
      .map((p) =>
        drift(
          `${c.Service}:${p.PublishedPort}`,
          `${c.Name} publishes :${p.PublishedPort} on all interfaces; the runbook does not expose it`,
        ),
      ),
  );

/** The backend unit orders itself after units that do not exist on the host: DB and Redis run in Docker. */
const backendOrderingIsVoid: Detector = async (stack) => {
  const after = (
    await stack.host.run("systemctl show sattva-backend -p After --value", { check: false })
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
        runbook(
          "sattva-backend.service",
          `After=${missing.join(" ")} names units that do not exist here (PostgreSQL and Redis run in Docker), so nothing orders the backend after the database: the race the runbook's \`sleep 10\` papers over`,
        ),
      ];
};

const ytDlpNotInBackendVenv: Detector = async (stack) => {
  const present = await stack.host.run(`test -x ${STACK_ROOT}/backend/venv/bin/yt-dlp`, { check: false });
  return present.exitCode === 0
    ? []
    : [
        runbook(
          "yt-dlp troubleshooting",
          `the runbook's \`${STACK_ROOT}/backend/venv/bin/yt-dlp --version\` cannot work: yt-dlp lives in the streamer's venv, and the manual update installs it into the backend's`,
        ),
      ];
};

const composeDefinesBackend: Detector = async (stack) => {
  const services = (await stack.run("docker compose config --services", { check: false })).stdout.split("\n");
  return services.includes("backend")
    ? [
        runbook(
          "docker-compose.yml",
          "the compose file defines `backend` on 8000:8000: the runbook's own full restart (`docker compose down && docker compose up -d`) starts it and collides with the systemd backend",
        ),
      ]
    : [];
};

/** Contradictions in the runbook's text itself, listed with every audit. */
const RUNBOOK_TEXT: readonly Finding[] = [
  runbook(
    "service table",
    "the table lists Backend (FastAPI) as `Docker`, while the architecture, the units and the start order run it under systemd",
  ),
  runbook(
    "yt-dlp updates",
    "the overview says yt-dlp is updated by cron; the deployment uses a systemd timer (yt-dlp-update.timer, 04:00 UTC)",
  ),
];

const DETECTORS: readonly Detector[] = [
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
  return [...RUNBOOK_TEXT, ...detected.flat()];
}

export function describeFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.kind.padEnd(7)} ${f.subject}: ${f.message}`).join("\n");
}
