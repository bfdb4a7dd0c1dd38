import { posix } from "node:path";
import { commandWords, type UnitFile } from "../../parse/unit-file.ts";
import type { AuditContext } from "../context.ts";

/** A venv named relative to the working directory (`venv/bin/gunicorn`, `./.venv/bin/python`). */
const RELATIVE_VENV_BIN = /(?:^|[\s"';&|])((?:\.\/)?(?:[\w.-]+\/)*\.?venv)\/bin\//;
/** A venv's folder in a path under its bin/ (`/opt/x/streamer/venv/bin/python` -> `/opt/x/streamer/venv`). */
const VENV_BIN = /(\/[^\s"';&|:=]*\/\.?venv)\/bin(?:\/|$|[\s"';&|:])/;

/**
 * The venv a unit runs from, as a host path, if it runs from one: its command's interpreter
 * (`<root>/streamer/venv/bin/python`), else a venv its command activates or calls inside a shell
 * (`bash -c "source …/venv/bin/activate && exec uvicorn …"`), else the venv its PATH puts first.
 */
export function venvOf(unit: UnitFile): string | undefined {
  const execStart = unit.get("Service", "ExecStart")?.value ?? "";
  const command = commandWords(execStart)[0] ?? "";
  const path = unit.environment().get("PATH")?.value ?? "";
  for (const text of [command, execStart, path]) {
    const match = VENV_BIN.exec(text)?.[1];
    if (match !== undefined) return match;
  }
  // A venv named relative to where the command runs: the shell's `cd`, else WorkingDirectory=.
  const relative = RELATIVE_VENV_BIN.exec(execStart)?.[1];
  const from =
    /\bcd\s+(\/[^\s"';&|]+)/.exec(execStart)?.[1] ??
    unit.get("Service", "WorkingDirectory")?.value.replace(/^-/, "");
  return relative === undefined || from === undefined || !from.startsWith("/")
    ? undefined
    : posix.join(from, relative);
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
