import type { AuditContext } from "../audit/context.ts";
import { looseList, looseObject, looseText } from "../parse/loose-json.ts";
import { findDirectives } from "../parse/nginx-conf.ts";
import { timeSpanSeconds } from "../parse/unit-file.ts";
import type { Journal } from "../report/journal.ts";

/** The timers of the deployment under test that a scenario may have to wait out, in seconds. */
export interface DeploymentTimers {
  /** Each alert rule's `for:` window, by alert name. */
  readonly alertFor: ReadonlyMap<string, number>;
  /** Each unit's RestartSec (systemd's 100 ms when unset), by unit name without `.service`. */
  readonly restartSec: ReadonlyMap<string, number>;
  /** nginx's proxy_read_timeout (its default of 60 s when unset). */
  readonly proxyReadTimeout: number;
}

/** A Prometheus or nginx duration (`10s`, `1m30s`, `60`) in seconds; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(trimmed)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g))
    seconds += Number(amount) * (units[unit ?? ""] ?? 0);
  return seconds;
}

/** The timers the stack declares: its alert rules, its units and its nginx configuration. */
export function deploymentTimers(
  context: Pick<AuditContext, "rules" | "allUnits" | "nginx">,
): DeploymentTimers {
  const alertFor = new Map<string, number>();
  for (const file of context.rules)
    for (const group of looseList(looseObject(file.data)["groups"]))
      for (const rule of looseList(looseObject(group)["rules"])) {
        const name = looseObject(rule)["alert"];
        if (typeof name === "string")
          alertFor.set(name, durationSeconds(looseText(looseObject(rule)["for"], "0s")) ?? 0);
      }
  const restartSec = new Map<string, number>();
  for (const unit of context.allUnits) {
    const value = unit.get("Service", "RestartSec")?.value;
    restartSec.set(
      unit.name.replace(/\.service$/, ""),
      value === undefined ? 0.1 : (timeSpanSeconds(value) ?? 0.1),
    );
  }
  const timeout = findDirectives(context.nginx?.directives ?? [], "proxy_read_timeout")[0]?.directive.args[0];
  return {
    alertFor,
    restartSec,
    proxyReadTimeout: timeout === undefined ? 60 : (durationSeconds(timeout) ?? 60),
  };
}

/** One wait on a deployment timer a test's journal shows, and how long the timer makes it at least. */
export interface TimerWait {
  readonly timer: string;
  readonly seconds: number;
}

/**
 * The deployment's own timers a test had to wait out, read from its journal: an alert that fired
 * (its `for:`), nginx giving up on a slow backend (proxy_read_timeout), a unit systemd restarted by
 * itself (RestartSec). Waits overlap from the fault's injection on, so the test's floor is the
 * longest of them; the rest of its time is the harness's (probes, proofs, steady-state checks).
 */
export function timerWaits(journal: Journal, timers: DeploymentTimers): TimerWait[] {
  const waits: TimerWait[] = [];
  for (const event of journal.timeline) {
    const text = `${event.label} ${event.detail ?? ""}`;
    if (event.label === "alert fired" && event.detail !== undefined) {
      const window = timers.alertFor.get(event.detail);
      if (window !== undefined) waits.push({ timer: `${event.detail} for: ${window}s`, seconds: window });
    }
    if (event.label === "nginx answered" && /\b504\b/.test(event.detail ?? ""))
      waits.push({
        timer: `proxy_read_timeout ${timers.proxyReadTimeout}s`,
        seconds: timers.proxyReadTimeout,
      });
    const restarted = /([\w@.-]+?)(?:\.service)? restarted by systemd/.exec(text)?.[1];
    const restartSec = restarted === undefined ? undefined : timers.restartSec.get(restarted);
    if (restarted !== undefined && restartSec !== undefined)
      waits.push({ timer: `${restarted} RestartSec=${restartSec}s`, seconds: restartSec });
  }
  return waits;
}

/** The test's floor in seconds: the longest timer it waited out (0 when it waited on none). */
export function timerFloor(journal: Journal, timers: DeploymentTimers): number {
  return Math.max(0, ...timerWaits(journal, timers).map((wait) => wait.seconds));
}
