import path from "node:path";
import type { Finding } from "../../findings/finding.ts";
import { commandWords, timeSpanSeconds, unitBoolean } from "../../parse/unit-file.ts";
import { runbook, RunbookSections } from "../../runbook/runbook.ts";
import type { AuditCheck, AuditContext } from "../context.ts";
import { dailyTime } from "../../parse/crontab.ts";
import { at } from "./runbook-units.ts";
import { pipCall, streamerVenv, venvOf } from "./venvs.ts";

const rb = () => runbook();
const timerSays = () => rb().cite(RunbookSections.timer, "Systemd Timer (04:00 UTC)");
const scriptSays = (quote: string) => rb().cite(RunbookSections.updateScript, quote);

/** The next two runs of a calendar spec from `systemd-analyze calendar` (TZ=UTC), in UTC, and its normal form. */
export function parseCalendar(stdout: string): { normalized: string | undefined; nextUtc: string[] } {
  const normalized = /Normalized form:\s*(.+)/.exec(stdout)?.[1]?.trim();
  // With a time zone in the spec, systemd adds "(in UTC):" lines; otherwise the local time is UTC here.
  const inUtc = [...stdout.matchAll(/\(in UTC\):\s*\w+ (\S+ \S+) UTC/g)].map((m) => m[1] ?? "");
  const local = [...stdout.matchAll(/(?:Next elapse|Iter\. #\d+):\s*\w+ (\S+ \S+) UTC/g)].map(
    (m) => m[1] ?? "",
  );
  return { normalized, nextUtc: inUtc.length > 0 ? inUtc : local };
}

const schedule: AuditCheck = {
  id: "timer.schedule",
  title: "the update timer runs daily at 04:00 UTC, whatever the host's time zone, and catches up",
  run(context) {
    const timer = context.units.get("timer");
    if (timer === undefined) return { skipped: "the checkout has no update timer" };
    const findings: Finding[] = [];
    const add = (f: Omit<Finding, "id" | "kind" | "subject" | "runbook">) =>
      findings.push({ id: "timer.schedule", kind: "drift", subject: timer.name, runbook: timerSays(), ...f });
    const calendars = timer.all("Timer", "OnCalendar");
    const monotonic = [
      "OnBootSec",
      "OnStartupSec",
      "OnActiveSec",
      "OnUnitActiveSec",
      "OnUnitInactiveSec",
    ].filter((k) => timer.get("Timer", k) !== undefined);
    if (calendars.length === 0) {
      add({
        severity: monotonic.length > 0 ? "warning" : "blocker",
        ...at(timer, undefined),
        observed:
          monotonic.length > 0
            ? `no OnCalendar=; it runs on ${monotonic.join(", ")} instead`
            : "no OnCalendar= (and no other trigger)",
        impact:
          monotonic.length > 0
            ? "the update runs relative to boot or to its last run, not at 04:00 UTC"
            : "the timer never fires: yt-dlp is never updated",
        scenario: "yt-dlp-broken",
      });
    }
    for (const calendar of calendars) {
      const run = context.host.calendars[calendar.value];
      if (run === undefined) continue;
      if (run.rc !== 0) {
        add({
          severity: "blocker",
          ...at(timer, calendar),
          observed: `OnCalendar=${calendar.value}: systemd cannot parse it (${run.stderr.trim()})`,
          impact: "systemd ignores the setting: the timer never fires",
        });
        continue;
      }
      const { normalized, nextUtc } = parseCalendar(run.stdout);
      const zone = /\s(\S+)$/.exec(normalized ?? "")?.[1];
      const hasZone = zone !== undefined && !/^\d/.test(zone) && !zone.includes(":");
      if (!hasZone) {
        add({
          severity: "warning",
          ...at(timer, calendar),
          observed: `OnCalendar=${calendar.value} names no time zone`,
          impact:
            "it runs at that time in the host's local time zone: at 04:00 UTC only on a host set to UTC (a VPS set to Europe/Moscow runs it at 01:00 UTC)",
          scenario: "yt-dlp-broken",
        });
      }
      const [first, second] = nextUtc.map((t) => new Date(`${t.replace(" ", "T")}Z`));
      const daily =
        first !== undefined && second !== undefined && second.getTime() - first.getTime() === 86_400_000;
      const at4 = first !== undefined && first.getUTCHours() === 4 && first.getUTCMinutes() === 0;
      if (!daily || !at4) {
        add({
          severity: "warning",
          ...at(timer, calendar),
          observed: `OnCalendar=${calendar.value} runs at ${nextUtc.map((t) => `${t} UTC`).join(", then ")}${hasZone ? "" : " (on a UTC host)"}`,
          impact:
            "the update does not run daily at 04:00 UTC: yt-dlp is updated at another time than the runbook and the on-call expect, or not daily",
        });
      }
    }
    const delay = timer.get("Timer", "RandomizedDelaySec");
    const seconds = delay === undefined ? 0 : (timeSpanSeconds(delay.value) ?? 0);
    if (delay !== undefined && seconds > 0) {
      add({
        severity: seconds >= 3600 ? "warning" : "info",
        ...at(timer, delay),
        observed: `RandomizedDelaySec=${delay.value}`,
        impact: `each run starts at a random moment up to ${delay.value} after 04:00 UTC, so the streamer's daily restart moves with it`,
      });
    }
    const persistent = timer.get("Timer", "Persistent");
    if (persistent === undefined || unitBoolean(persistent.value) !== true) {
      add({
        severity: "info",
        ...at(timer, persistent),
        observed: persistent === undefined ? "no Persistent=true" : `Persistent=${persistent.value}`,
        impact:
          "a run missed while the host was down at 04:00 is not made up at boot: yt-dlp waits another day",
      });
    }
    const target = timer.get("Timer", "Unit")?.value ?? `${timer.stem}.service`;
    const update = context.units.get("update");
    if (
      update?.name !== target &&
      !context.allUnits.some((u) => u.name === target) &&
      !context.host.hostUnits.has(target)
    ) {
      add({
        severity: "blocker",
        ...at(timer, timer.get("Timer", "Unit")),
        observed: `the timer starts ${target}, which does not exist`,
        impact: "the timer fires and starts nothing: yt-dlp is never updated",
        scenario: "yt-dlp-broken",
      });
    }
    if (timer.items("Install", "WantedBy").length === 0) {
      add({
        severity: "warning",
        ...at(timer, undefined),
        observed: "no [Install] WantedBy=timers.target",
        impact: "`systemctl enable --now` starts the timer but cannot enable it: after a reboot it is gone",
      });
    }
    return findings;
  },
};

/**
 * Whether the update service or a cron entry runs the script directly (it needs the exec bit and a
 * shebang then) rather than through a shell.
 */
function runsDirectly(context: AuditContext, script: string): boolean {
  const onHost = path.posix.join(context.profile.root, script);
  const unitExec = commandWords(context.units.get("update")?.get("Service", "ExecStart")?.value ?? "");
  return (
    unitExec[0] === onHost ||
    context.updateCron.some((entry) => entry.command === script || entry.command.split(/\s+/)[0] === onHost)
  );
}

const script: AuditCheck = {
  id: "script.update",
  title: "the update script runs as systemd runs it, and fails when the update fails",
  run(context) {
    const script = context.updateScript;
    if (script === undefined) return { skipped: "the checkout has no update script" };
    const findings: Finding[] = [];
    const add = (f: Omit<Finding, "id" | "subject" | "file">) =>
      findings.push({ id: "script.update", subject: script.file, file: script.file, ...f });
    const direct = runsDirectly(context, script.file);
    const lines = script.text.split("\n");
    if (direct && !script.executable) {
      add({
        severity: "blocker",
        kind: "drift",
        line: 1,
        runbook: scriptSays("#!/bin/bash"),
        observed: `${script.file} is not executable (no exec bit), and the update service runs it directly`,
        impact: "the service fails with status 203/EXEC every night: yt-dlp is never updated",
        scenario: "yt-dlp-broken",
      });
    }
    if (direct && !(lines[0] ?? "").startsWith("#!")) {
      add({
        severity: "blocker",
        kind: "drift",
        line: 1,
        runbook: scriptSays("#!/bin/bash"),
        observed: "the script has no #! line",
        impact: "exec fails (Exec format error, status 203/EXEC): the update never runs",
      });
    }
    if (script.text.includes("\r\n")) {
      add({
        severity: "blocker",
        kind: "drift",
        line: 1,
        runbook: scriptSays("#!/bin/bash"),
        observed: "the script has Windows line endings (CRLF)",
        impact:
          "the kernel looks for the interpreter `/bin/bash\\r`: No such file or directory; every command line also ends in a stray \\r",
      });
    }
    const errexit =
      lines.some((line) => /^\s*set\s+(-\w*e\w*|-o\s+errexit)\b/.test(line)) ||
      /^#!.*\s-\w*e/.test(lines[0] ?? "");
    const pip = pipCall(script.text);
    const pipChecked =
      pip !== undefined && (/\|\||&&/.test(pip.text) || /^\s*(if|until|while)\b/.test(pip.text));
    if (pip !== undefined && !errexit && !pipChecked) {
      const asRunbook =
        pip.text ===
        rb()
          .commands(RunbookSections.updateScript)
          .find((c) => c.includes("pip install"));
      add({
        severity: asRunbook ? "info" : "warning",
        kind: asRunbook ? "runbook" : "drift",
        line: pip.line,
        runbook: scriptSays("/opt/sattva-streamer/streamer/venv/bin/pip install -U yt-dlp"),
        observed: `\`${pip.text}\` is not checked (no set -e, no || or if): the script goes on when pip fails`,
        impact:
          "a failed update still restarts the streamer and the service reports success: nobody learns yt-dlp was not updated",
        scenario: "yt-dlp-broken",
      });
    }
    const venv = streamerVenv(context);
    const streamer = context.units.get("streamer");
    if (
      pip?.venv !== undefined &&
      streamer !== undefined &&
      venvOf(streamer) !== undefined &&
      pip.venv !== venvOf(streamer)
    ) {
      add({
        severity: "blocker",
        kind: "drift",
        line: pip.line,
        runbook: scriptSays("# Обновление yt-dlp в streamer venv"),
        observed: `the script upgrades ${pip.venv}, but the streamer runs from ${venv ?? ""}`,
        impact: "the daily update never reaches the streamer's yt-dlp",
        scenario: "yt-dlp-broken",
      });
    }
    const restartIndex = lines.findIndex((line) => /\bsystemctl\s+(?:try-)?restart\b/.test(line));
    if (restartIndex === -1) {
      add({
        severity: "warning",
        kind: "drift",
        runbook: scriptSays("systemctl restart sattva-streamer"),
        observed: "the script restarts nothing",
        impact: "the running streamer keeps the old yt-dlp until its next restart",
      });
    } else {
      const restarted =
        (lines[restartIndex] ?? "").replace(/.*\bsystemctl\s+(?:try-)?restart\s+/, "").split(/\s+/)[0] ?? "";
      const streamerName = context.profile.units.streamer;
      const names = [restarted, `${restarted}.service`];
      if (restarted !== "" && !names.includes(streamerName) && !restarted.startsWith("$")) {
        add({
          severity: "blocker",
          kind: "drift",
          line: restartIndex + 1,
          runbook: scriptSays("systemctl restart sattva-streamer"),
          observed: `the script restarts ${restarted}; the streamer's unit is ${streamerName}`,
          impact: "systemctl fails (Unit not found) and the streamer keeps the old yt-dlp",
        });
      }
      const conditional =
        lines.slice(0, restartIndex + 1).some((line) => /^\s*if\b/.test(line)) ||
        /\|\||&&/.test(lines[restartIndex] ?? "");
      if (!conditional) {
        add({
          severity: "info",
          kind: "runbook",
          line: restartIndex + 1,
          runbook: scriptSays("systemctl restart sattva-streamer"),
          observed: "the streamer is restarted on every run, whether or not yt-dlp changed",
          impact:
            "a daily outage of the stream at 04:00 UTC, which the runbook's hybrid design (update without downtime) says it avoids",
          scenario: "yt-dlp-broken",
        });
      }
    }
    return findings;
  },
};

const cron: AuditCheck = {
  id: "update.cron",
  title: "a cron entry that runs the update does what the runbook's timer would: once, daily at 04:00 UTC",
  run(context) {
    if (context.updateCron.length === 0) return { skipped: "no cron entry in the checkout runs the update" };
    const timer = context.units.get("timer");
    const findings: Finding[] = [];
    for (const entry of context.updateCron) {
      const add = (f: Pick<Finding, "severity" | "observed" | "impact">) =>
        findings.push({
          id: "update.cron",
          kind: "drift",
          subject: entry.file,
          file: entry.file,
          line: entry.line,
          runbook: timerSays(),
          scenario: "yt-dlp-broken",
          ...f,
        });
      const runs = `\`${entry.schedule}${entry.user === undefined ? "" : ` ${entry.user}`} ${entry.command}\``;
      add(
        timer === undefined
          ? {
              severity: "warning",
              observed: `the update runs from cron (${runs}), not from a systemd timer`,
              impact:
                "the runbook's `systemctl enable --now yt-dlp-update.timer` and `systemctl list-timers` find nothing here, and a run missed while the host was down is never caught up (a timer's Persistent=)",
            }
          : {
              severity: "warning",
              observed: `the update runs twice: from cron (${runs}) and from ${timer.name}`,
              impact:
                "two upgrades and two restarts of the streamer a day; run together, they race on the same venv",
            },
      );
      const time = dailyTime(entry.schedule);
      if (time !== "04:00") {
        add({
          severity: "warning",
          observed:
            time === undefined
              ? `cron runs it on \`${entry.schedule}\`, not once a day`
              : `cron runs it daily at ${time}, not 04:00`,
          impact: "the streamer restarts for the update outside the runbook's 04:00 UTC window",
        });
      } else if (entry.timeZone === undefined || !/^(UTC|Etc\/UTC|GMT|Etc\/GMT)$/i.test(entry.timeZone)) {
        add({
          severity: "warning",
          observed: `cron runs it at 04:00 in ${entry.timeZone ?? "the host's local time zone"}`,
          impact: "at 04:00 UTC only on a host set to UTC (a VPS set to Europe/Moscow runs it at 01:00 UTC)",
        });
      }
    }
    return findings;
  },
};

export const UPDATE_CHECKS: readonly AuditCheck[] = [schedule, script, cron];
