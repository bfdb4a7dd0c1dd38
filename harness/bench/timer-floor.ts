import type { AuditContext } from "../audit/context.ts";
import { looseList, looseObject, looseText } from "../parse/loose-json.ts";
import { proxyReadTimeout } from "../parse/nginx-conf.ts";
import { timeSpanSeconds } from "../parse/unit-file.ts";
import { durationSeconds } from "../parse/duration.ts";
import type { Journal } from "../report/journal.ts";

/** The timers of the deployment under test that a scenario may have to wait out, in seconds. */
export interface DeploymentTimers {
  /** Each alert rule's `for:` window, by alert name. */
  readonly alertFor: ReadonlyMap<string, number>;
  /**
   * What an alert waits besides its `for:`: Prometheus seeing the failure (half a scrape interval on
   * average) and evaluating its rule (half an evaluation interval), then Alertmanager's `group_wait`
   * before the first notification of a group. The tools' defaults where the stack sets none.
   */
  readonly alertDelay: number;
  /** Each unit's RestartSec (systemd's 100 ms when unset), by unit name without `.service`. */
  readonly restartSec: ReadonlyMap<string, number>;
  /** nginx's proxy_read_timeout (its default of 60 s when unset). */
  readonly proxyReadTimeout: number;
}

/** The timers the stack declares: its alert rules, its units and its nginx configuration. */
export function deploymentTimers(
  context: Pick<AuditContext, "rules" | "allUnits" | "nginx" | "prometheus" | "alertmanager">,
): DeploymentTimers {
  const global = looseObject(looseObject(context.prometheus?.data)["global"]);
  const seconds = (value: unknown, fallback: number) => durationSeconds(looseText(value, "")) ?? fallback;
  const alertDelay =
    seconds(global["scrape_interval"], 60) / 2 +
    seconds(global["evaluation_interval"], 60) / 2 +
    seconds(looseObject(looseObject(context.alertmanager?.data)["route"])["group_wait"], 30);
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

  return {
    alertFor,
    alertDelay,
    restartSec,
    proxyReadTimeout: proxyReadTimeout(context.nginx?.directives ?? []),
  };
}

/** One wait on a deployment timer a test's journal shows: how long the timer makes it, ending when. */
export interface TimerWait {
  readonly timer: string;
  readonly seconds: number;
  /** The journal's moment the wait ended (ms since the test began). */
  readonly endMs: number;
}

/**
 * The deployment's own timers a test had to wait out, read from its journal: an alert that fired
 * (its `for:` and the delay of the tools that raise it), nginx giving up on a slow backend
 * (proxy_read_timeout), a unit systemd restarted by itself (RestartSec), the runbook's own `sleep`,
 * and a fault the scenario holds for a time it states (`ChaosRun.hold`, the 30 s partition): the
 * deployment is watched for that long on purpose.
 */
export function timerWaits(journal: Journal, timers: DeploymentTimers): TimerWait[] {
  const waits: TimerWait[] = [];
  for (const event of journal.timeline) {
    const text = `${event.label} ${event.detail ?? ""}`;
    if (event.label === "alert fired" && event.detail !== undefined) {
      const window = timers.alertFor.get(event.detail);
      if (window !== undefined)
        waits.push({
          timer: `${event.detail} for: ${window}s + ${timers.alertDelay}s to raise it`,
          seconds: window + timers.alertDelay,
          endMs: event.atMs,
        });
    }
    const held = event.label === "held" ? /^([\d.]+) s\b/.exec(event.detail ?? "")?.[1] : undefined;
    if (held !== undefined)
      waits.push({
        timer: `held ${held}s by the scenario (${event.detail ?? ""})`,
        seconds: Number(held),
        endMs: event.atMs,
      });
    if (event.label === "nginx answered" && /\b504\b/.test(event.detail ?? ""))
      waits.push({
        timer: `proxy_read_timeout ${timers.proxyReadTimeout}s`,
        seconds: timers.proxyReadTimeout,
        endMs: event.atMs,
      });
    // The runbook's own wait (`sleep 10` between compose and systemd), marked when it ended.
    const slept = /^runbook: sleep (\d+(?:\.\d+)?)$/.exec(event.label)?.[1];
    if (slept !== undefined)
      waits.push({ timer: `the runbook's sleep ${slept}`, seconds: Number(slept), endMs: event.atMs });
    const restarted = /([\w@.-]+?)(?:\.service)? restarted by systemd/.exec(text)?.[1];
    const restartSec = restarted === undefined ? undefined : timers.restartSec.get(restarted);
    if (restarted !== undefined && restartSec !== undefined)
      waits.push({ timer: `${restarted} RestartSec=${restartSec}s`, seconds: restartSec, endMs: event.atMs });
  }
  return waits;
}

/**
 * The test's floor in seconds (0 when it waited on no timer): the time covered by its waits, each
 * placed on the journal's clock as the span that ended at its moment. Waits that overlap count once
 * (an alert's window runs while a fault is held), waits one after another add up (two restarts); the
 * rest of the test's time is the harness's (probes, proofs, steady-state checks).
 */
export function timerFloor(journal: Journal, timers: DeploymentTimers): number {
  // Nothing is waited on before the test began.
  const spans = timerWaits(journal, timers)
    .map((wait) => [Math.max(0, wait.endMs / 1000 - wait.seconds), wait.endMs / 1000] as const)
    .sort((a, b) => a[0] - b[0]);
  let covered = 0;
  let reached = Number.NEGATIVE_INFINITY;
  for (const [from, to] of spans) {
    if (to <= reached) continue;
    covered += to - Math.max(from, reached);
    reached = to;
  }
  return covered;
}
