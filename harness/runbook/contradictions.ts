import type { Finding } from "../findings/finding.ts";
import { runbook, RunbookSections, type Citation } from "./runbook.ts";

/**
 * Where the runbook is wrong or contradicts itself in its own text: a deployment made exactly as
 * written has each of these, whatever the checkout says. Every audit lists them as `info`, kind
 * `runbook`, at the runbook's file and line. Each is read from the runbook under test: one a team
 * corrected (its words gone) is not reported.
 */
export function runbookContradictions(): Finding[] {
  const rb = runbook();
  const finding = (
    id: string,
    citation: Citation | undefined,
    observed: string,
    impact: string,
    scenario?: string,
  ): Finding[] =>
    citation === undefined
      ? []
      : [
          {
            id: `runbook.${id}`,
            severity: "info",
            kind: "runbook",
            subject: citation.section,
            file: rb.name,
            line: citation.line,
            runbook: citation,
            observed,
            impact,
            ...(scenario === undefined ? {} : { scenario }),
          },
        ];
  return [
    ...finding(
      "backend-in-docker",
      rb.says(
        RunbookSections.table,
        "| Backend (FastAPI) | `Docker` | 8000 | Стабильный, не требует yt-dlp |",
      ),
      "the service table runs the backend in Docker, while the architecture, the units and the start order run it under systemd (and warn never to start it in Docker)",
      "an engineer who trusts the table starts the Docker backend: the port-8000 conflict",
      "port-8000-conflict",
    ),
    ...finding(
      "cron",
      rb.says(RunbookSections.why, "**yt-dlp** обновляется автоматически через cron без пересборки"),
      "yt-dlp is said to be updated by cron, while the runbook's own timer section enables a systemd timer (yt-dlp-update.timer, 04:00 UTC)",
      "someone looking for the update in the other place finds nothing, and may add a second one: two upgrades and two restarts a day",
    ),
    ...finding(
      "yt-dlp-in-backend-venv",
      rb.says(RunbookSections.ytDlp, "/opt/sattva-streamer/backend/venv/bin/pip install -U yt-dlp"),
      "the troubleshooting step updates yt-dlp in the backend's venv and restarts the backend, while the table says the backend does not need yt-dlp and the streamer runs from its own venv",
      "the manual fix for broken yt-dlp does not repair the streamer: its yt-dlp stays as it was",
      "yt-dlp-broken",
    ),
    ...finding(
      "never-enabled",
      rb.says(RunbookSections.startOrder, "systemctl start sattva-backend"),
      "the start order starts the units but never runs `systemctl daemon-reload` or `systemctl enable` for them",
      "a host set up exactly as written does not bring the backend and the streamer back after a reboot",
      "db-not-ready",
    ),
    ...finding(
      "sleep-10",
      rb.says(RunbookSections.startOrder, "sleep 10"),
      "the start order waits a fixed 10 s for the database instead of checking it is ready",
      "on a slow or loaded host the backend starts before PostgreSQL accepts connections; on a fast one the start wastes 10 s",
      "db-not-ready",
    ),
    ...finding(
      "no-cd",
      rb.says(RunbookSections.dockerCommands, "docker compose restart frontend"),
      "the Docker commands of the management section have no `cd /opt/sattva-streamer`",
      "run from any other directory (a fresh SSH session starts in ~) they fail: no configuration file provided",
    ),
    ...finding(
      "no-update-unit",
      rb.says(RunbookSections.timer, "systemctl enable --now yt-dlp-update.timer"),
      "the runbook enables yt-dlp-update.timer but gives no unit for the timer or its service",
      "a host set up from the runbook alone has no such timer: the command fails (Unit yt-dlp-update.timer not found) and yt-dlp is never updated",
    ),
    ...finding(
      "ports-mixed",
      rb.says(RunbookSections.table, "| Frontend (Nginx) | `Docker` | 3000 | Статика, стабильный |"),
      "the table mixes host and container ports: the frontend is 3000 on the host but nginx listens on 80; Grafana is 3001 on the host, 3000 in its container",
      "a port read from the table is wrong inside the containers (a health check or a proxy to frontend:3000 fails)",
    ),
  ];
}
