import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { CommandResult } from "../host/command.ts";
import { attachText, step } from "../report/allure.ts";
import { journalFile } from "../scenario/report-dir.ts";
import type { Capability } from "../profile/profile.ts";
import type { Stack } from "../stack/stack.ts";
import {
  cannotRunHere,
  checkSteadyState,
  describeSteadyState,
  unitsNotRunningHere,
  type SteadyStateReport,
} from "../stack/steady-state.ts";
import { until } from "../waits/wait.ts";
import { activeTargets, prometheusTiming, ruleAlerts } from "../probes/prometheus.ts";
import {
  hostNow,
  receivedAlerts,
  routedAlerts,
  runningAlertmanagerConfig,
  type AlertmanagerConfig,
} from "./alerts.ts";
import type { Fault, Symptom } from "./fault.ts";
import { DeadManSwitch } from "./dead-man-switch.ts";
import { followScript } from "./follow.ts";
import { Markers } from "./markers.ts";
import { takeHostSnapshot, type HostSnapshot } from "./residue.ts";
import { Timeline, Moment, runbookMoment } from "./timeline.ts";
import { JOURNAL_VERSION, journalSchema, type ReplayRecord } from "../report/journal.ts";
import { InconclusiveError, type Verdict } from "./verdict.ts";

const MARKERS_PER_RUN = 20;

export interface Detection {
  /** The symptom seen first, and what it showed. */
  readonly symptom: string;
  readonly seen: string;
  readonly timeToDetectMs: number;
}

export interface AlertResult {
  readonly name: string;
  /** Undefined when the alert did not arrive within the wait. */
  readonly timeToAlertMs: number | undefined;
  /**
   * Why whether it fired says nothing of the fault, when it cannot (its job down before the fault, a
   * rule slower than a test holds a fault): the claim is then `undecided`, not failed.
   */
  readonly unknowable?: string;
}

/** How long a test waits for an alert when the checkout's timers say nothing longer. */
const ALERT_WAIT_MS = 90_000;
/** The longest a test holds a fault for an alert to page: a rule slower than this is not waited out. */
const LONGEST_ALERT_WAIT_MS = 10 * 60_000;

/** A fault as the journal records it: what it was given, its proof, and when it came and went. */
export interface FaultRecord {
  readonly name: string;
  readonly params: Readonly<Record<string, string | number | boolean>>;
  readonly injectedAtMs: number;
  /** A fault that runs a runbook command (`params.runbookCommand`) typed with this checkout's names. */
  adapted?: { readonly ran: string; readonly why: string };
  evidence?: string;
  healedAtMs?: number;
}

/** One command of the runbook, run verbatim, with what it printed. */
export interface RunbookStep {
  readonly command: string;
  readonly result: CommandResult;
  readonly atMs: number;
  /** For a command that follows forever (`-f`): how long it was watched before being stopped. */
  readonly followedForMs?: number;
  /** A runbook command this host cannot run as written: what ran instead, and why. */
  readonly adapted?: { readonly ran: string; readonly why: string };
}

/**
 * One chaos run on a deployed stack, in the shape every scenario shares (Chaos Toolkit's): the steady
 * state must hold first, marker data is written, the fault is injected and proven, detection and
 * alerting are timed, the runbook's commands are run verbatim, and recovery is proven (steady state
 * back, markers intact). Faults are healed at the end whatever happened, and a journal is written.
 */
export class ChaosRun {
  readonly timeline = new Timeline();
  readonly runbookSteps: RunbookStep[] = [];
  readonly results: Record<string, number | string | boolean | undefined> = {};
  readonly stack: Stack;
  readonly markers: Markers;
  readonly faults: FaultRecord[] = [];
  /** The host before the fault (HostSnapshot: units, containers, firewall, clock, disk…), for the residue audit. */
  hostBefore: HostSnapshot | undefined;
  readonly #injected: Fault[] = [];
  /** Every fault injected in this run, healed or not: each is checked for its leftovers at the end. */
  readonly #everInjected: Fault[] = [];
  readonly #deadMan: DeadManSwitch;
  #injectedAtEpoch = 0;
  /** Scrape jobs with a target down at the baseline (a job that never answers with metrics), with its error. */
  readonly #undecided: string[] = [];
  readonly #jobsDownBefore = new Map<string, string>();

  constructor(stack: Stack) {
    this.stack = stack;
    this.markers = new Markers(stack);
    this.#deadMan = new DeadManSwitch(stack.host);
  }

  /** The steady state must hold before anything is broken; otherwise the run is inconclusive. */
  baseline(): Promise<SteadyStateReport> {
    return step("steady state holds before the fault", () => this.#baseline());
  }

  async #baseline(): Promise<SteadyStateReport> {
    const steady = await checkSteadyState(this.stack, { settle: true, failFast: true });
    if (!steady.holds) {
      throw new InconclusiveError(
        `the steady state did not hold before the fault:\n${describeSteadyState(steady)}`,
      );
    }
    this.timeline.mark(Moment.steadyStateHolds);
    if (this.stack.deployment.service("prometheus") !== undefined)
      for (const target of await activeTargets(this.stack).catch(() => []))
        if (target.health !== "up") this.#jobsDownBefore.set(target.labels.job, target.lastError);
    this.hostBefore = await takeHostSnapshot(this.stack);
    await this.markers.write(MARKERS_PER_RUN);
    this.timeline.mark(Moment.markersWritten, `${this.markers.count} rows in ${this.markers.where}`);
    return steady;
  }

  /**
   * Injects a fault (healed at the end, always, and by the host's dead-man switch if the harness dies
   * first) and proves it took effect, else the run is inconclusive.
   */
  inject(fault: Fault): Promise<string> {
    return step(`inject: ${fault.name}`, () => this.#inject(fault));
  }

  async #inject(fault: Fault): Promise<string> {
    const impossible = fault.cannotApply?.(this.stack);
    if (impossible !== undefined)
      throw new InconclusiveError(`fault "${fault.name}" cannot be made here: ${impossible}`);
    this.#injected.push(fault);
    this.#everInjected.push(fault);
    await this.#deadMan.add(fault.healOnHost(this.stack));
    this.#injectedAtEpoch = await hostNow(this.stack);
    const injected = this.timeline.mark(Moment.faultInjected, fault.name);
    const record: FaultRecord = { name: fault.name, params: fault.params ?? {}, injectedAtMs: injected.atMs };
    // The fault types its runbook command as `runbook` does (CheckoutTerms): the journal says how.
    const runbookCommand = fault.params?.["runbookCommand"];
    const typed = typeof runbookCommand === "string" ? this.#typedHere(runbookCommand) : undefined;
    if (typed !== undefined) record.adapted = typed;
    this.faults.push(record);
    await fault.inject(this.stack);
    let evidence: string;
    try {
      evidence = await fault.prove(this.stack);
    } catch (error) {
      throw new InconclusiveError(
        `fault "${fault.name}" could not be shown to apply: ${(error as Error).message}`,
      );
    }
    this.timeline.mark(Moment.faultProven, evidence);
    record.evidence = evidence;
    await attachText(`proof: ${fault.name}`, evidence);
    return evidence;
  }

  /** Watches the symptoms until one shows; which one did and when is the detection. */
  detect(symptoms: readonly Symptom[], timeoutMs = 60_000): Promise<Detection> {
    return step(`detect: ${symptoms.map((s) => this.named(s.name)).join(" | ")}`, () =>
      this.#detect(symptoms, timeoutMs),
    );
  }

  async #detect(symptoms: readonly Symptom[], timeoutMs: number): Promise<Detection> {
    const injectedAt = this.timeline.events.find((e) => e.label === Moment.faultInjected)?.atMs ?? 0;
    let found: { symptom: string; seen: string } | undefined;
    await until(
      `one of: ${symptoms.map((s) => this.named(s.name)).join(", ")}`,
      async () => {
        // A probe that fails (a connection reset while the host reboots) saw no symptom: the wait goes
        // on. Its last words are what each probe met: the symptom looked for, and what came instead.
        const seen: string[] = [];
        for (const symptom of symptoms) {
          const reading = await symptom.observe(this.stack).catch((error: unknown) => ({
            shows: false,
            seen: `probe error: ${(error as Error).message}`,
          }));
          if (reading.shows) {
            found = { symptom: this.named(symptom.name), seen: reading.seen };
            return { ready: true, detail: found.seen };
          }
          seen.push(reading.seen);
        }
        return { ready: false, detail: seen.join("; ") };
      },
      250,
    ).waitUntilReady(timeoutMs * this.stack.host.slowdown);
    if (found === undefined) throw new Error("unreachable: detection resolved without a symptom");
    const first = !this.timeline.events.some((e) => e.label === Moment.detected);
    const event = this.timeline.mark(
      first ? Moment.detected : Moment.seen,
      `${found.symptom}: ${found.seen}`,
    );
    const detection = { ...found, timeToDetectMs: event.atMs - injectedAt };
    // The first symptom is the detection; later ones (a crash loop after the port conflict) are timed too.
    if (first) {
      this.results["time to detect (s)"] = detection.timeToDetectMs / 1000;
      this.results["detected by"] = found.symptom;
    } else {
      this.results[`time to see "${found.symptom}" (s)`] = detection.timeToDetectMs / 1000;
    }
    return detection;
  }

  /**
   * Ends the test as inconclusive, before it changes anything, when it reads a probe the deployment's
   * profile does not declare (the bundled stack's streamer heartbeat, say): on another checkout its
   * symptom could never be seen, and waiting for it would blame the stack.
   */
  requires(capability: Capability, what: string): void {
    if (!this.stack.deployment.profile.capabilities.includes(capability))
      throw new InconclusiveError(
        `this test reads ${what} (capability ${capability}), which the deployment's profile does not declare`,
      );
  }

  /**
   * Ends the test as inconclusive when it needs a unit running that cannot run on this host (a streamer
   * that needs Telegram, on a test host: cannotRunHere), naming why. Called after the baseline, which
   * waits long enough for such a unit to have failed.
   */
  async requiresRunning(role: "backend" | "streamer", what: string): Promise<void> {
    const reason = await cannotRunHere(this.stack, role);
    if (reason !== undefined) throw new InconclusiveError(`this test needs ${what}; ${reason}`);
  }

  /** The backend and streamer units that can run on this host (cannotRunHere), by the runbook's names. */
  async unitsRunningHere(): Promise<string[]> {
    const notHere = await unitsNotRunningHere(this.stack);
    return (["backend", "streamer"] as const)
      .filter(
        (role) =>
          this.stack.deployment.unitsPresent.has(role) && !notHere.has(this.stack.deployment.unit(role)),
      )
      .map((role) => this.stack.deployment.unitName(role));
  }

  /**
   * Waits for Prometheus -> Alertmanager -> a receiver to page someone with the alert: delivered to the
   * harness's receiver, or routed by Alertmanager to one of the checkout's the harness cannot read.
   */
  alert(name: string, timeoutMs?: number): Promise<AlertResult> {
    return step(`alert ${name} fires`, () => this.#alert(name, timeoutMs));
  }

  /**
   * Waits for the alert that watches the backend's or the streamer's scrape job (`up{job=…} == 0`) in
   * this checkout's rules, whatever it is called; none found is recorded and reported as not fired.
   */
  alertOnDown(role: "backend" | "streamer", timeoutMs?: number): Promise<AlertResult> {
    const name = this.stack.deployment.downAlert(role);
    const job = this.stack.deployment.profile.prometheus.jobs[role];
    const downBefore = this.#jobsDownBefore.get(job);
    if (name !== undefined && downBefore !== undefined)
      return Promise.resolve(
        this.#unknowable(
          name,
          `${name} watches up{job="${job}"}, which was down before the fault (${downBefore || "not scraped yet"}): whether the fault fires it cannot be told`,
        ),
      );
    if (name !== undefined) return this.alert(name, timeoutMs);
    this.results[`alert on the ${role} down`] = `no alert rule watches up{job="${job}"}`;
    return Promise.resolve({ name: `(none watches up{job="${job}"})`, timeToAlertMs: undefined });
  }

  /**
   * Waits for any of the checkout's alerts that was not firing before the fault, whatever its rules
   * call it (BackendDependencyDown in the bundled stack): for a fault no runbook alert is named for.
   */
  anyAlert(timeoutMs = ALERT_WAIT_MS): Promise<AlertResult> {
    return step("an alert fires", () => this.#alert(undefined, timeoutMs));
  }

  /**
   * Waits for the alert named (any new one when undefined) to reach the receiver after the fault: for
   * `timeoutMs`, or, for a named alert, as long as the checkout's own timers may take to page.
   */
  async #alert(name: string | undefined, timeoutMs: number | undefined): Promise<AlertResult> {
    const injectedAt = this.timeline.events.find((e) => e.label === Moment.faultInjected)?.atMs ?? 0;
    const wanted = name ?? "an alert";
    const rules = this.stack.deployment.alertRules;
    if (name !== undefined && rules.length > 0 && !rules.some((rule) => rule.name === name)) {
      // Nothing to wait for: the checkout's rules have no such alert, and the result says so.
      this.timeline.mark(Moment.alertDidNotFire, name);
      this.results[`time to alert ${name} (s)`] =
        `no rule named ${name} in the checkout's rules (${rules.map((rule) => rule.name).join(", ")})`;
      return { name, timeToAlertMs: undefined };
    }
    // A receiver the harness cannot read (Telegram, Slack, mail: a real checkout's) still shows the
    // alert paging someone: Alertmanager routes it there, and says so in its API.
    const config =
      this.stack.deployment.service("alertmanager") === undefined
        ? undefined
        : await runningAlertmanagerConfig(this.stack).catch(() => undefined);
    const deadline = timeoutMs === undefined ? await this.#alertDeadline(name, config) : { ms: timeoutMs };
    // Only a named alert's timers can make it unknowable.
    if ("unknowable" in deadline) return this.#unknowable(wanted, deadline.unknowable);
    const deadlineMs = deadline.ms;
    const activeBefore = name === undefined ? await this.#alertsActiveBeforeTheFault() : new Set<string>();
    const isWanted = (alertName: string) =>
      name === undefined ? !activeBefore.has(alertName) : alertName === name;
    let fired: string | undefined;
    let routedTo: string | undefined;
    let timedOut = false;
    try {
      await until(
        `${wanted} to fire`,
        async () => {
          const alerts = await receivedAlerts(this.stack, this.#injectedAtEpoch);
          // A notification after the fault may repeat an alert firing since before it.
          fired = alerts.find(
            (a) => a.status === "firing" && a.startsAt >= this.#injectedAtEpoch && isWanted(a.name),
          )?.name;
          const routed =
            fired !== undefined || config === undefined
              ? undefined
              : (await routedAlerts(this.stack)).find(
                  (a) =>
                    a.startsAt >= this.#injectedAtEpoch &&
                    isWanted(a.name) &&
                    a.receivers.length > 0 &&
                    !a.receivers.some((receiver) => config.readByHarness(receiver)),
                );
          if (routed !== undefined) {
            fired = routed.name;
            routedTo = routed.receivers.map((receiver) => config?.describe(receiver)).join(", ");
          }
          return {
            ready: fired !== undefined,
            detail: alerts.map((a) => `${a.name} ${a.status}`).join(", ") || "no alert received",
          };
        },
        1_000,
      ).waitUntilReady(deadlineMs * this.stack.host.slowdown);
    } catch {
      timedOut = true;
    }
    // Fired or not, a named alert whose current activation began before the fault says nothing of it.
    if (name !== undefined && (await this.#alertsActiveBeforeTheFault()).has(name))
      return this.#unknowable(name, alreadyActive(name));
    if (timedOut) {
      this.timeline.mark(Moment.alertDidNotFire, wanted);
      this.results[`time to alert ${name ?? "(any)"} (s)`] = "did not fire";
      return { name: wanted, timeToAlertMs: undefined };
    }
    if (routedTo !== undefined)
      this.results[`${fired ?? wanted} routed to`] =
        `${routedTo}, which the harness cannot read: Alertmanager routed it, its delivery is not seen here`;
    const firedName = fired ?? wanted;
    const event = this.timeline.mark(Moment.alertFired, firedName);
    this.results[`time to alert ${firedName} (s)`] = (event.atMs - injectedAt) / 1000;
    return { name: firedName, timeToAlertMs: event.atMs - injectedAt };
  }

  /**
   * How long the named alert may take to page, by the checkout's own timers as its Prometheus and
   * Alertmanager run them: the rule's `for:`, a scrape and an evaluation to see the failure, then
   * Alertmanager's `group_wait`; never less than the usual wait. A rule slower than a test can hold
   * its fault cannot be judged, naming its timers, rather than failed for not paging in time.
   */
  async #alertDeadline(
    name: string | undefined,
    config: AlertmanagerConfig | undefined,
  ): Promise<{ readonly ms: number } | { readonly unknowable: string }> {
    const usual = { ms: ALERT_WAIT_MS };
    if (name === undefined || this.stack.deployment.service("prometheus") === undefined) return usual;
    const { scrapeSeconds: scrape, rules } = await prometheusTiming(this.stack);
    const rule = rules.find((r) => r.name === name);
    if (rule === undefined || scrape === undefined) return usual;
    const groupWait = config?.longestGroupWait ?? 30;
    const latest = rule.forSeconds + scrape + rule.evaluationSeconds + groupWait;
    if (latest * 1000 > LONGEST_ALERT_WAIT_MS)
      return {
        unknowable: `${name} may take ${latest} s to page (for: ${rule.forSeconds} s, scrape interval ${scrape} s, evaluation interval ${rule.evaluationSeconds} s, group_wait ${groupWait} s): longer than a test holds a fault (${LONGEST_ALERT_WAIT_MS / 60_000} min)`,
      };
    // A margin for Prometheus and Alertmanager to act on what they saw.
    return { ms: Math.max(ALERT_WAIT_MS, (latest + 30) * 1000) };
  }

  /** An alert whose firing cannot be judged here: recorded with the reason, for the test to leave undecided. */
  #unknowable(name: string, reason: string): AlertResult {
    this.results[`time to alert ${name} (s)`] = `cannot be told: ${reason}`;
    return { name, timeToAlertMs: undefined, unknowable: reason };
  }

  /**
   * A claim of the test that cannot be judged here (an alert that was firing before the fault): the
   * test's other checks still run, and if none fails it ends inconclusive, naming each such claim.
   */
  undecided(reason: string): void {
    this.#undecided.push(reason);
  }

  /** The claims left undecided (see `undecided`). */
  get undecidedClaims(): readonly string[] {
    return this.#undecided;
  }

  /**
   * Alerts whose current activation began before the fault (a unit that cannot run here, a job that
   * never answers with metrics): they come whatever the fault does. Prometheus' rules say so; without
   * Prometheus, the last notification the harness's receiver got before the fault.
   */
  async #alertsActiveBeforeTheFault(): Promise<Set<string>> {
    if (this.stack.deployment.service("prometheus") !== undefined) {
      const alerts = await ruleAlerts(this.stack).catch(() => undefined);
      if (alerts !== undefined)
        return new Set(alerts.filter((a) => a.activeAt < this.#injectedAtEpoch).map((a) => a.name));
    }
    const last = new Map<string, string>();
    for (const alert of await receivedAlerts(this.stack, 0))
      if (alert.receivedAt < this.#injectedAtEpoch) last.set(alert.name, alert.status);
    return new Set([...last].filter(([, status]) => status === "firing").map(([alertName]) => alertName));
  }

  /**
   * Runs one of the runbook's commands as written, in the install root, keeping its output. On a
   * checkout that renamed what the command names (a unit, a container, the backend's port), it is
   * typed with this checkout's names, as an engineer there would, and recorded as adapted, saying so.
   */
  runbook(command: string, timeoutMs = 120_000): Promise<CommandResult> {
    const here = this.#typedHere(command);
    if (here !== undefined) return this.runbookAdapted(command, here.ran, here.why, timeoutMs);
    return step(runbookMoment(command), async () => {
      const result = await this.stack.run(command, { check: false, timeoutMs });
      return this.#recordRunbookStep(command, result);
    });
  }

  /**
   * Runs a runbook command this host cannot run as written as `ran` instead (a service with no image
   * offline left out), recorded as the runbook's command adapted, with why: the coverage table names
   * it as an exception, never as the command run verbatim.
   */
  runbookAdapted(command: string, ran: string, why: string, timeoutMs = 120_000): Promise<CommandResult> {
    return step(`${runbookMoment(command)} (adapted: ${ran})`, async () => {
      const result = await this.stack.run(ran, { check: false, timeoutMs });
      return this.#recordRunbookStep(command, result, undefined, { ran, why });
    });
  }

  /**
   * Runs a runbook command that follows forever (`journalctl -f`, `docker logs -f`) as written (by
   * this checkout's names, as `runbook` does), until `until` appears in its output or for `atMostMs`,
   * then stops it with SIGINT as an engineer's Ctrl-C would once they saw it; resolves with what it
   * printed. Start it before the fault (without awaiting) to see the fault appear in it, as someone
   * watching would.
   */
  follow(command: string, { until, atMostMs }: { until: string; atMostMs: number }): Promise<CommandResult> {
    const here = this.#typedHere(command);
    const ran = here?.ran ?? command;
    return (async () => {
      const result = await this.stack.run(followScript(ran, this.named(until), atMostMs), {
        check: false,
        timeoutMs: atMostMs + 60_000,
      });
      const watchedMs = Math.round(result.durationMs / 100) * 100;
      const adapted = here === undefined ? undefined : { ran, why: here.why };
      return this.#recordRunbookStep(command, { ...result, command: ran }, watchedMs, adapted);
    })();
  }

  /** The runbook's text (a unit, a container, `:8000`) by this checkout's names. */
  named(text: string): string {
    return this.stack.terms.translate(text).text;
  }

  /** The command as typed on this checkout, and why, when its names differ from the runbook's. */
  #typedHere(command: string): { ran: string; why: string } | undefined {
    const { text, renamed } = this.stack.terms.translate(command);
    return renamed.length === 0
      ? undefined
      : { ran: text, why: `this checkout's names: ${renamed.join(", ")}` };
  }

  async #recordRunbookStep(
    command: string,
    result: CommandResult,
    followedForMs?: number,
    adapted?: RunbookStep["adapted"],
  ): Promise<CommandResult> {
    const watched = followedForMs === undefined ? "" : `, followed for ${followedForMs / 1000} s`;
    const how = adapted === undefined ? "" : `, adapted: ${adapted.ran} (${adapted.why})`;
    const event = this.timeline.mark(runbookMoment(command), `exit ${result.exitCode}${watched}${how}`);
    this.runbookSteps.push({
      command,
      result,
      atMs: event.atMs,
      ...(followedForMs === undefined ? {} : { followedForMs }),
      ...(adapted === undefined ? {} : { adapted }),
    });
    await attachText(
      `${command} (exit ${result.exitCode}${watched})`,
      this.stack.deployment.redact(
        `$ ${command}\n${result.stdout}${result.stderr === "" ? "" : `\n[stderr]\n${result.stderr}`}`,
      ),
    );
    return result;
  }

  /**
   * Keeps the fault in effect until `ms` after `since` (a moment of the scenario's own clock,
   * `performance.now()`), as a scenario says it does ("partitioned for 30 s"): the deployment is watched
   * for that long on purpose, and the journal says so ("held").
   */
  async hold(ms: number, since: number, why: string): Promise<void> {
    const left = ms - (performance.now() - since);
    if (left > 0) await new Promise((resolve) => setTimeout(resolve, left));
    this.timeline.mark(Moment.held, `${(ms / 1000).toFixed(0)} s: ${why}`);
  }

  /** Marks a moment of the scenario's own (e.g. "systemd restarted the backend"). */
  mark(label: string, detail?: string): void {
    this.timeline.mark(label, detail);
  }

  /**
   * Recovery is proven: the steady state returns (each check within its tolerance) and every marker
   * is intact. Throws with what still differs otherwise.
   */
  recovered(): Promise<number> {
    return step("recovered: steady state back, markers intact", () => this.#recovered());
  }

  async #recovered(): Promise<number> {
    const injectedAt = this.timeline.events.find((e) => e.label === Moment.faultInjected)?.atMs ?? 0;
    const steady = await checkSteadyState(this.stack, { settle: true, failFast: true });
    if (!steady.holds)
      throw new Error(`the stack did not return to its steady state:\n${describeSteadyState(steady)}`);
    const event = this.timeline.mark(Moment.steadyStateBack);
    const lost = await this.markers.missing();
    if (lost.length > 0)
      throw new Error(`data lost: ${lost.length} of ${this.markers.count} markers: ${lost.join(", ")}`);
    this.timeline.mark(Moment.markersIntact, `${this.markers.count} rows`);
    const timeToRecover = event.atMs - injectedAt;
    this.results["time to recover (s)"] = timeToRecover / 1000;
    await this.#alertsClear();
    return timeToRecover;
  }

  /**
   * Waits, bounded, for the alerts the fault raised to clear in Prometheus once the stack is back (the
   * pager goes quiet), so the next test on this host does not start with one of them still active.
   * Recorded, never asserted: the rules' own intervals decide how long it takes (a scrape that sees the
   * stack back, then an evaluation), and bound the wait.
   */
  async #alertsClear(): Promise<void> {
    if (this.stack.deployment.service("prometheus") === undefined || this.#injectedAtEpoch === 0) return;
    const { scrapeSeconds, rules } = await prometheusTiming(this.stack);
    const evaluation = Math.max(0, ...rules.map((r) => r.evaluationSeconds));
    const boundMs = Math.max(30, (scrapeSeconds ?? 0) + evaluation + 10) * 1000;
    const raised = async () =>
      (await ruleAlerts(this.stack).catch(() => [])).filter((a) => a.activeAt >= this.#injectedAtEpoch);
    const started = performance.now();
    try {
      await until(
        "the alerts the fault raised to clear",
        async () => {
          const active = await raised();
          return { ready: active.length === 0, detail: active.map((a) => `${a.name} ${a.state}`).join(", ") };
        },
        1_000,
      ).waitUntilReady(boundMs * this.stack.host.slowdown);
      this.results["alerts cleared after recovery in (s)"] = Math.round(performance.now() - started) / 1000;
    } catch {
      this.results["alerts still active after recovery"] = (await raised()).map((a) => a.name).join(", ");
    }
  }

  /** What the run's faults left after their heal, each checked by the fault itself (empty: all undone). */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    for (const fault of this.#everInjected) found.push(...((await fault.leftovers?.(this.stack)) ?? []));
    // Faults of one kind share what they check (every toxiproxy fault every proxy): each named once.
    return [...new Set(found)];
  }

  /** Heals every injected fault, newest first, then disarms the dead-man switch; runs at the end of every scenario. */
  heal(): Promise<void> {
    return step("heal every fault", () => this.#heal());
  }

  async #heal(): Promise<void> {
    const unhealed: string[] = [];
    // Every fault gets its heal even when one fails; those that fail stay with the dead-man switch.
    for (const fault of this.#injected.reverse()) {
      try {
        await fault.heal(this.stack);
      } catch (error) {
        unhealed.push(`${fault.name}: ${(error as Error).message}`);
        continue;
      }
      const healed = this.timeline.mark(Moment.healed, fault.name);
      const record = this.faults.findLast((f) => f.name === fault.name);
      if (record !== undefined) record.healedAtMs = healed.atMs;
    }
    this.#injected.length = 0;
    if (unhealed.length === 0) {
      await this.#deadMan.disarm();
      return;
    }
    this.#deadMan.stopBeating();
    throw new Error(
      `could not heal, left to the host's dead-man switch (${this.#deadMan.unit}):\n${unhealed.join("\n")}`,
    );
  }

  /**
   * Writes the run's journal under <report dir>/journals/: verdict, results, faults with their
   * parameters and proof, timeline, runbook output, residue, and how to replay it.
   */
  async writeJournal(entry: {
    scenario: string;
    test: string;
    verdict: Verdict;
    replay: ReplayRecord;
    residue: readonly string[];
  }): Promise<string> {
    const { scenario, test, verdict } = entry;
    const file = journalFile(scenario, test);
    await mkdir(path.dirname(file), { recursive: true });
    // Checked as it will be read (JSON: a NaN result is null there) against the schema `--replay`
    // reads with, so a journal written can always be replayed.
    const journal = journalSchema.parse(
      toJson({
        schemaVersion: JOURNAL_VERSION,
        scenario,
        test,
        verdict,
        startedAt: this.timeline.startedAt.toISOString(),
        durationMs: this.timeline.elapsedMs(),
        stack: this.stack.source.dir,
        host: this.stack.host.name,
        results: this.results,
        faults: this.faults,
        residue: entry.residue,
        timeline: this.timeline.events,
        runbook: this.runbookSteps.map((step) => ({
          command: step.command,
          atMs: step.atMs,
          exitCode: step.result.exitCode,
          durationMs: step.result.durationMs,
          stdout: step.result.stdout,
          stderr: step.result.stderr,
          ...(step.followedForMs === undefined ? {} : { followedForMs: step.followedForMs }),
          ...(step.adapted === undefined ? {} : { adapted: step.adapted }),
        })),
        replay: entry.replay,
      }),
    );
    await writeFile(file, `${this.stack.deployment.redact(JSON.stringify(journal, null, 2))}\n`);
    return file;
  }
}

/** A value as JSON gives it back. */
function toJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** Why an alert's timing says nothing of the fault. */
const alreadyActive = (name: string) =>
  `${name} was already pending or firing before the fault (its job down before it, say): whether the fault fires it cannot be told`;
