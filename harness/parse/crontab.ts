import path from "node:path";

/**
 * Cron tables a checkout may carry: a file for `/etc/cron.d/` (with a user field), a user's crontab, or
 * a script for `run-parts` (`cron.daily/`...). The runbook's "why hybrid" section says yt-dlp is
 * updated by cron while its timer section enables a systemd timer; a deployment may have either.
 */
export interface CronEntry {
  readonly file: string;
  readonly line: number;
  /** The five time fields, or a nickname (`@daily`), as written. */
  readonly schedule: string;
  /** The user it runs as (system tables only). */
  readonly user: string | undefined;
  readonly command: string;
  /** CRON_TZ= (or TZ=) set above the entry in its file: cron's own time zone otherwise. */
  readonly timeZone: string | undefined;
}

/** When Debian's and Ubuntu's /etc/crontab runs each run-parts folder (local time). */
const RUN_PARTS = {
  "cron.hourly": "17 * * * *",
  "cron.daily": "25 6 * * *",
  "cron.weekly": "47 6 * * 7",
  "cron.monthly": "52 6 1 * *",
};

/** Words that start a command, never a user name, in the sixth field of a line. */
const COMMANDS = new Set([
  "cd",
  "bash",
  "sh",
  "env",
  "flock",
  "nice",
  "ionice",
  "timeout",
  "test",
  "[",
  "run-parts",
]);

/** Whether a checkout file is a cron table or a run-parts script, by where it is and what it is called. */
export function isCronFile(file: string): boolean {
  const dir = path.basename(path.dirname(file));
  const base = path.basename(file);
  return dir === "cron.d" || dir in RUN_PARTS || base === "crontab" || /\.(cron|crontab)$/.test(base);
}

/**
 * The entries of a cron file (see isCronFile); a run-parts script is one entry whose command is the
 * script itself, at the time /etc/crontab runs its folder.
 */
export function parseCronFile(file: string, text: string): CronEntry[] {
  const dir = path.basename(path.dirname(file));
  const runParts = Object.entries(RUN_PARTS).find(([folder]) => folder === dir)?.[1];
  if (runParts !== undefined) {
    return [{ file, line: 1, schedule: runParts, user: "root", command: file, timeZone: undefined }];
  }
  const entries: CronEntry[] = [];
  let timeZone: string | undefined;
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (assignment !== null) {
      if (assignment[1] === "CRON_TZ" || assignment[1] === "TZ")
        timeZone = (assignment[2] ?? "").replace(/^(["'])(.*)\1$/, "$2");
      continue;
    }
    const words = line.split(/\s+/);
    const nickname = words[0]?.startsWith("@") === true;
    const timeFields = nickname ? 1 : 5;
    if (words.length <= timeFields) continue;
    const rest = words.slice(timeFields);
    const [sixth = "", ...after] = rest;
    const hasUser =
      dir === "cron.d" || (after.length > 0 && /^[a-z_][a-z0-9_-]*$/.test(sixth) && !COMMANDS.has(sixth));
    entries.push({
      file,
      line: index + 1,
      schedule: words.slice(0, timeFields).join(" "),
      user: hasUser ? sixth : undefined,
      command: (hasUser ? after : rest).join(" "),
      timeZone,
    });
  }
  return entries;
}

/** "daily at 04:00" for a schedule cron runs once a day at a fixed time; undefined for anything else. */
export function dailyTime(schedule: string): string | undefined {
  if (schedule === "@daily" || schedule === "@midnight") return "00:00";
  const [minute, hour, dayOfMonth, month, dayOfWeek] = schedule.split(" ");
  if (dayOfMonth !== "*" || month !== "*" || dayOfWeek !== "*") return undefined;
  if (!/^\d{1,2}$/.test(minute ?? "") || !/^\d{1,2}$/.test(hour ?? "")) return undefined;
  return `${(hour ?? "").padStart(2, "0")}:${(minute ?? "").padStart(2, "0")}`;
}
