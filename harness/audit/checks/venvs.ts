import { commandWords, type UnitFile } from "../../parse/unit-file.ts";
import type { AuditContext } from "../context.ts";

/** The venv a unit runs from (`<root>/streamer/venv/bin/python`), as a host path, if it runs from one. */
export function venvOf(unit: UnitFile): string | undefined {
  const command = commandWords(unit.get("Service", "ExecStart")?.value ?? "")[0] ?? "";
  const match = /^(.*\/\.?venv)\/bin\//.exec(command);
  return match?.[1];
}

/** The venv the streamer runs from, as a host path: its unit's interpreter, else what the update script upgrades. */
export function streamerVenv(context: AuditContext): string | undefined {
  const streamer = context.units.get("streamer");
  return (
    (streamer === undefined ? undefined : venvOf(streamer)) ?? pipCall(context.updateScript?.text ?? "")?.venv
  );
}

/** The script's `…/venv/bin/pip install -U yt-dlp` (or `python -m pip`): the venv it upgrades, and its line. */
export function pipCall(text: string): { venv: string | undefined; line: number; text: string } | undefined {
  const lines = text.split("\n");
  const index = lines.findIndex(
    (line) => /\bpip3?\b.*\binstall\b/.test(line.replace(/#.*$/, "")) || /-m\s+pip\s+install/.test(line),
  );
  if (index === -1) return undefined;
  const line = lines[index] ?? "";
  const venv = /(\/\S*?\/\.?venv)\/bin\/(?:pip3?|python3?)\b/.exec(line)?.[1];
  return { venv, line: index + 1, text: line.trim() };
}
