import type { Finding } from "../findings/finding.ts";
import type { Inference } from "../profile/init.ts";
import { RUNBOOK_PROFILE } from "../profile/profile.ts";
import { runbook, RunbookSections, type Citation } from "../runbook/runbook.ts";

/**
 * Where a checkout names or places things differently from the runbook and no profile says so, the
 * audit reads the checkout as `sattva-chaos init` would (so its hazards are still checked) and reports
 * each such difference once, here. The keys are the profile's layout and naming keys; what init also
 * records (env files, users, liveness) describes the checkout rather than departs from the runbook.
 */
const LAYOUT_KEYS =
  /^(root|compose\.(files|project|services\.\w+)|units\.\w+|scripts\.\w+|backend\.(port|health)|nginx\.\w+|monitoring\.\w+|prometheus\.jobs\.\w+)$/;

export function isLayoutKey(key: string): boolean {
  return LAYOUT_KEYS.test(key);
}

/**
 * Whether a reading without a profile takes what init infers for this key: the layout, and how to tell
 * the streamer is alive (else its checks wait for a heartbeat it never writes). Users and env files are
 * not: a profile listing them vouches that the deployment provides them, and the audit judges the units
 * against that.
 */
export function isReadingKey(key: string): boolean {
  return isLayoutKey(key) || key === "streamer.liveness";
}

function runbookDefault(key: string): unknown {
  if (key.startsWith("compose.services.")) return key.slice("compose.services.".length);
  let value: unknown = RUNBOOK_PROFILE;
  for (const step of key.split(".")) value = (value as Record<string, unknown> | undefined)?.[step];
  return value;
}

function said(key: string): { citation: Citation; impact: string } {
  const rb = runbook();
  const root = key.split(".")[0];
  const name = key.split(".").at(-1) ?? key;
  const fallback = runbookDefault(key);
  if (key === "compose.project")
    return {
      citation: rb.cite(RunbookSections.nginx502, "docker logs sattva-streamer-frontend-1"),
      impact:
        "the runbook's `docker logs sattva-streamer-frontend-1`, `docker exec sattva-streamer-frontend-1 …` and `docker stop sattva-streamer-backend-1` name containers that do not exist",
    };
  if (key.startsWith("compose.services."))
    return {
      citation: rb.cite(
        RunbookSections.startOrder,
        "docker compose up -d db redis frontend prometheus grafana alertmanager",
      ),
      impact: `the runbook's commands name the service ${name}: \`docker compose up -d db redis …\` fails here (no such service: ${name})`,
    };
  if (key === "compose.files")
    return {
      citation: rb.cite(RunbookSections.related, "[docker-compose.yml](../../docker-compose.yml)"),
      impact: "the runbook's `docker compose` commands look for docker-compose.yml in the stack's root",
    };
  if (key === "root")
    return {
      citation: rb.cite(RunbookSections.startOrder, "cd /opt/sattva-streamer"),
      impact:
        "the runbook's `cd /opt/sattva-streamer` and the paths in its units point where this deployment is not",
    };
  if (key === "backend.port")
    return {
      citation: rb.cite(RunbookSections.nginx502, "curl http://localhost:8000/health"),
      impact:
        "the runbook's `curl http://localhost:8000/health` and `wget … http://172.17.0.1:8000/health` look on the other port",
    };
  if (key === "backend.health")
    return {
      citation: rb.cite(RunbookSections.nginx502, "curl http://localhost:8000/health"),
      impact: "the runbook's `curl …/health` and `wget …/health` get a 404 from a healthy backend",
    };
  if (key.startsWith("units.") && name !== "dir")
    return {
      citation:
        name === "timer" || name === "update"
          ? rb.cite(RunbookSections.timer, "systemctl enable --now yt-dlp-update.timer")
          : rb.cite(
              RunbookSections.systemdCommands,
              `systemctl status ${String(fallback).replace(/\.service$/, "")}`,
            ),
      impact: `the runbook's \`systemctl … ${String(fallback)}\` fails here: Unit ${String(fallback)} not found`,
    };
  if (key.startsWith("prometheus.jobs."))
    return {
      citation: rb.cite(RunbookSections.table, "| Prometheus | `Docker` | 9090 | Мониторинг |"),
      impact: `alert rules and dashboards written for job ${String(fallback)} see nothing`,
    };
  const citation =
    root === "nginx"
      ? rb.cite(RunbookSections.nginx, "# frontend/nginx.conf")
      : root === "scripts"
        ? rb.cite(RunbookSections.updateScript, "# /opt/sattva-streamer/scripts/yt-dlp-update.sh")
        : root === "units"
          ? rb.cite(RunbookSections.backendUnit, "# /etc/systemd/system/sattva-backend.service")
          : key === "monitoring.alertmanager"
            ? rb.cite(RunbookSections.table, "| Alertmanager | `Docker` | 9093 | Алерты |")
            : rb.cite(RunbookSections.table, "| Prometheus | `Docker` | 9090 | Мониторинг |");
  return {
    citation,
    impact: `anything that follows the runbook's layout looks for ${JSON.stringify(fallback)}`,
  };
}

/** The names `docker compose` finds by itself in the folder it is run in. */
const COMPOSE_DEFAULT_NAMES = new Set([
  "compose.yaml",
  "compose.yml",
  "docker-compose.yaml",
  "docker-compose.yml",
]);

/** A compose file at the stack's root under a name compose finds anyway: only the runbook's link differs. */
function foundByCompose(inference: Inference): boolean {
  const [first] = Array.isArray(inference.value) ? (inference.value as unknown[]) : [];
  return inference.key === "compose.files" && typeof first === "string" && COMPOSE_DEFAULT_NAMES.has(first);
}

/** One layout finding per inferred key: what the checkout has instead of the runbook's, and why the audit thinks so. */
export function inferredLayoutFindings(inferences: readonly Inference[]): Finding[] {
  return inferences.map((inference): Finding => {
    const { citation, impact } = foundByCompose(inference)
      ? {
          ...said(inference.key),
          impact:
            "`docker compose` finds it in the stack's root by itself; only the runbook's link names docker-compose.yml",
        }
      : said(inference.key);
    return {
      id: "layout.inferred",
      severity: foundByCompose(inference) ? "info" : "warning",
      kind: "drift",
      subject: inference.key,
      ...(inference.file === undefined ? {} : { file: inference.file }),
      ...(inference.line === undefined ? {} : { line: inference.line }),
      runbook: citation,
      observed: `${
        inference.value === null
          ? `nothing plays the runbook's ${String(runbookDefault(inference.key))} (${inference.key}: null)`
          : `${inference.key} is ${JSON.stringify(inference.value)} here, not ${JSON.stringify(runbookDefault(inference.key))}`
      }: ${inference.why}${inference.guessed ? " (a guess)" : ""}`,
      impact: `${impact}; the audit read the checkout that way. Say so in a profile (\`sattva-chaos init\` writes one) and this finding goes`,
    };
  });
}
