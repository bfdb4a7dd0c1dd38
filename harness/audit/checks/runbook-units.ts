import type { UnitAssignment, UnitFile } from "../../parse/unit-file.ts";
import { runbook, RunbookSections, type Citation } from "../../runbook/runbook.ts";
import type { UnitRole } from "../checkout.ts";

/** The runbook's section for each unit role. */
export const UNIT_SECTION: Readonly<Record<UnitRole, string>> = {
  backend: RunbookSections.backendUnit,
  streamer: RunbookSections.streamerUnit,
  update: RunbookSections.updateScript,
  timer: RunbookSections.timer,
};

/** The unit the runbook gives for a role (backend, streamer); it gives none for the update service and timer. */
export function runbookUnit(role: UnitRole): UnitFile | undefined {
  if (role === "backend") return runbook().unit("sattva-backend.service");
  if (role === "streamer") return runbook().unit("sattva-streamer.service");
  return undefined;
}

/**
 * What the runbook says of a setting for a role: its own `Key=value` line where its unit has one,
 * else `fallback`, a quote from the role's section.
 */
export function runbookSetting(role: UnitRole, section: string, key: string, fallback: string): Citation {
  const own = runbookUnit(role)?.get(section, key);
  return own === undefined
    ? runbook().cite(UNIT_SECTION[role], fallback)
    : runbook().cite(UNIT_SECTION[role], `${key}=${own.value}`);
}

/** Where a finding about a unit setting points: the assignment's file and line, or the unit's file. */
export function at(unit: UnitFile, assignment: UnitAssignment | undefined): { file: string; line?: number } {
  return assignment === undefined
    ? { file: unit.files[0] ?? unit.name }
    : { file: assignment.file, line: assignment.line };
}

/** The default quote for a role's section when the runbook's unit has no line for the setting. */
export const ROLE_QUOTE: Readonly<Record<UnitRole, string>> = {
  backend: "# /etc/systemd/system/sattva-backend.service",
  streamer: "# /etc/systemd/system/sattva-streamer.service",
  update: "/opt/sattva-streamer/streamer/venv/bin/pip install -U yt-dlp",
  timer: "systemctl enable --now yt-dlp-update.timer",
};
