import type { Finding } from "../../findings/finding.ts";
import { composeServiceFor } from "../../profile/profile.ts";
import { runbook, RunbookSections, type Citation } from "../../runbook/runbook.ts";
import type { YamlFile } from "../../parse/yaml-file.ts";
import type { AuditCheck, AuditContext } from "../context.ts";
import { looseList, looseObject, looseText, type LooseObject } from "../../parse/loose-json.ts";
import { roleOf } from "./compose.ts";

const tableSays = (service: "Prometheus" | "Alertmanager"): Citation =>
  runbook().cite(
    RunbookSections.table,
    service === "Prometheus"
      ? "| Prometheus | `Docker` | 9090 | Мониторинг |"
      : "| Alertmanager | `Docker` | 9093 | Алерты |",
  );

export interface ScrapeTarget {
  readonly job: string;
  readonly host: string;
  readonly port: number | undefined;
  readonly path: readonly (string | number)[];
}

/** The static targets of every scrape job, with the YAML path of each (for its line). */
export function scrapeTargets(config: unknown): {
  jobs: string[];
  targets: ScrapeTarget[];
  discovered: string[];
} {
  const jobs: string[] = [];
  const targets: ScrapeTarget[] = [];
  const discovered: string[] = [];
  for (const [j, raw] of looseList(looseObject(config)["scrape_configs"]).entries()) {
    const job = looseText(looseObject(raw)["job_name"], "");
    jobs.push(job);
    if (Object.keys(looseObject(raw)).some((key) => key.endsWith("_sd_configs"))) discovered.push(job);
    for (const [s, sc] of looseList(looseObject(raw)["static_configs"]).entries()) {
      for (const [t, target] of looseList(looseObject(sc)["targets"]).entries()) {
        const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(String(target));
        targets.push({
          job,
          host: match?.[1] ?? String(target),
          port: match?.[2] === undefined ? undefined : Number(match[2]),
          path: ["scrape_configs", j, "static_configs", s, "targets", t],
        });
      }
    }
  }
  return { jobs, targets, discovered };
}

/** Whether a Prometheus container reaches the host at this address: docker0, or host.docker.internal mapped to it. */
function reachesHost(context: AuditContext, host: string): boolean {
  if (host === "172.17.0.1") return true;
  const prometheus = context.compose.model?.services.get(
    composeServiceFor(context.profile, "prometheus") ?? "",
  );
  return (
    host === "host.docker.internal" && prometheus?.extraHosts.some((h) => /host-gateway$/.test(h)) === true
  );
}

const targets: AuditCheck = {
  id: "prometheus.targets",
  title: "Prometheus scrapes the backend and the streamer where they run: on the host, not in Docker",
  run(context) {
    const config = context.prometheus;
    if (config?.data === undefined)
      return {
        skipped:
          config === undefined
            ? "the checkout has no Prometheus configuration"
            : "Prometheus' configuration does not parse",
      };
    const findings: Finding[] = [];
    const add = (f: Omit<Finding, "id" | "kind" | "file" | "runbook">) =>
      findings.push({
        id: "prometheus.targets",
        kind: "drift",
        file: config.file,
        runbook: tableSays("Prometheus"),
        ...f,
      });
    const { jobs, targets: all, discovered } = scrapeTargets(config.data);
    const hostJobs = new Map([
      [context.profile.prometheus.jobs.backend, "backend"],
      [context.profile.prometheus.jobs.streamer, "streamer"],
    ]);
    const prometheus = context.compose.model?.services.get(
      composeServiceFor(context.profile, "prometheus") ?? "",
    );
    const hostNetwork = prometheus?.networkMode === "host";
    for (const target of all) {
      const onHost =
        hostJobs.get(target.job) ?? (target.port === context.profile.backend.port ? "backend" : undefined);
      const service = context.compose.model?.services.get(target.host);
      const line = config.lineOf(target.path);
      const where = `${target.host}${target.port === undefined ? "" : `:${target.port}`}`;
      if (onHost !== undefined && service !== undefined) {
        const docker = roleOf(context, service.name) === "backend";
        add({
          severity: "blocker",
          subject: target.job,
          line,
          observed: `job ${target.job} scrapes ${where}: the compose service ${service.name}${docker ? " (the Docker backend)" : ""}, while the ${onHost} runs under systemd on the host`,
          impact: `the target is down whenever the documented order is followed (${docker ? "it never starts the Docker backend" : `${service.name} is not the ${onHost}`}): ${onHost === "backend" ? "BackendDown fires for ever, or tells of the wrong backend" : "StreamerDown fires for ever"}`,
          scenario: onHost === "backend" ? "nginx-502" : "yt-dlp-broken",
        });
      } else if (
        target.host === "host.docker.internal" &&
        // Unknown when compose refused the files (its own finding): no extra_hosts to read.
        context.compose.model !== undefined &&
        !hostNetwork &&
        !reachesHost(context, target.host)
      ) {
        add({
          severity: onHost === undefined ? "warning" : "blocker",
          subject: target.job,
          line,
          observed: `job ${target.job} scrapes ${where}, but the Prometheus service has no extra_hosts host.docker.internal:host-gateway`,
          impact:
            "on Linux host.docker.internal does not resolve in a container without that entry: the target is always down",
        });
      } else if (!hostNetwork && (target.host === "localhost" || target.host.startsWith("127."))) {
        if (target.port === 9090) continue; // Prometheus itself
        add({
          severity: onHost === undefined ? "warning" : "blocker",
          subject: target.job,
          line,
          observed: `job ${target.job} scrapes ${where}`,
          impact: `localhost in Prometheus' container is Prometheus itself: the target is always down${onHost === undefined ? "" : `, so nothing tells whether the ${onHost} is up`}`,
        });
      } else if (
        onHost !== undefined &&
        !hostNetwork &&
        !reachesHost(context, target.host) &&
        /^[a-z][\w.-]*$/i.test(target.host) &&
        !target.host.includes(".")
      ) {
        add({
          severity: "blocker",
          subject: target.job,
          line,
          observed: `job ${target.job} scrapes ${where}, a name no compose service has`,
          impact: `the name does not resolve in Prometheus' container: the ${onHost} target is always down`,
        });
      }
    }
    for (const [job, role] of hostJobs) {
      if (jobs.includes(job)) continue;
      add({
        severity: "warning",
        subject: job,
        line: config.lineOf(["scrape_configs"]),
        observed: `no scrape job ${job}${context.checkout.departs((p) => p.prometheus.jobs) ? " (the profile's name)" : ""}; the jobs are ${jobs.join(", ") || "none"}`,
        impact: `nothing watches the ${role}: an alert on up{job="${job}"} can never fire${context.checkout.departs((p) => p.prometheus.jobs) ? "" : " (if it has another name, say so in the profile: prometheus.jobs)"}`,
        scenario: role === "backend" ? "nginx-502" : "yt-dlp-broken",
      });
    }
    for (const job of discovered)
      add({
        severity: "info",
        subject: job,
        line: config.lineOf(["scrape_configs"]),
        observed: `job ${job} discovers its targets at run time`,
        impact: "its targets cannot be checked without a host",
      });
    return findings;
  },
};

/** Whether an alert's expression fires on a scrape job being down (`up{job="x"} == 0`, `absent(up{…})`). */
export function watchesUp(expr: string, job: string): boolean {
  return /\b(up|absent)\b/.test(expr) && jobMatchers(expr).includes(job);
}

/** `job="x"` label matchers in a PromQL expression. */
export function jobMatchers(expr: string): string[] {
  return [...expr.matchAll(/\bjob\s*=\s*"([^"]*)"/g)].map((m) => m[1] ?? "");
}

const rules: AuditCheck = {
  id: "prometheus.rules",
  title: "alert rules are loaded, can fire, and cover the runbook's failures; alerts are sent somewhere",
  run(context) {
    const config = context.prometheus;
    if (config?.data === undefined)
      return { skipped: "the checkout has no Prometheus configuration that parses" };
    const findings: Finding[] = [];
    const add = (f: Omit<Finding, "id" | "kind" | "runbook">) =>
      findings.push({ id: "prometheus.rules", kind: "drift", runbook: tableSays("Prometheus"), ...f });
    const { jobs } = scrapeTargets(config.data);
    const declared = looseList(looseObject(config.data)["rule_files"]).map(String);
    if (declared.length === 0) {
      add({
        severity: "warning",
        subject: "rule_files",
        file: config.file,
        observed: "Prometheus loads no rule files",
        impact: "no alert is ever evaluated: nobody learns the backend or the streamer is down",
      });
    } else if (context.rules.length === 0) {
      add({
        severity: "warning",
        subject: "rule_files",
        file: config.file,
        line: config.lineOf(["rule_files"]),
        observed: `rule_files ${declared.join(", ")}: none of them is mounted from the checkout`,
        impact: "Prometheus starts with no rules: no alert ever fires",
      });
    }
    const alerts = context.rules.flatMap((file) => alertRules(file));
    for (const alert of alerts) {
      for (const job of jobMatchers(alert.expr).filter((j) => !jobs.includes(j))) {
        add({
          severity: "warning",
          subject: alert.name,
          file: alert.file,
          line: alert.line,
          observed: `alert ${alert.name} selects job="${job}", which no scrape job is`,
          impact: `the expression never has a series: ${alert.name} can never fire`,
        });
      }
    }
    for (const [role, job, scenario] of [
      ["backend", context.profile.prometheus.jobs.backend, "nginx-502"],
      ["streamer", context.profile.prometheus.jobs.streamer, "yt-dlp-broken"],
    ] as const) {
      if (context.rules.length === 0 || alerts.some((a) => watchesUp(a.expr, job))) continue;
      add({
        severity: "warning",
        subject: role,
        file: context.rules[0]?.file ?? config.file,
        observed: `no alert rule watches up{job="${job}"}`,
        impact: `nobody is told when the ${role} is down (the runbook's ${role === "backend" ? "nginx 502" : "yt-dlp"} failure)`,
        scenario,
      });
    }
    const managers = looseList(looseObject(looseObject(config.data)["alerting"])["alertmanagers"]);
    const managerTargets = managers.flatMap((m) =>
      looseList(looseObject(m)["static_configs"]).flatMap((s) =>
        looseList(looseObject(s)["targets"]).map(String),
      ),
    );
    if (managers.length === 0) {
      add({
        severity: "warning",
        subject: "alerting",
        file: config.file,
        observed: "no alerting.alertmanagers",
        impact: "alerts fire in Prometheus and are sent to nobody",
      });
    }
    const hostNetwork =
      context.compose.model?.services.get(composeServiceFor(context.profile, "prometheus") ?? "")
        ?.networkMode === "host";
    for (const target of context.compose.model === undefined ? [] : managerTargets) {
      const host = target.split(":")[0] ?? "";
      const loopback = host === "localhost" || host.startsWith("127.");
      const serviceName = context.compose.model?.services.has(host) === true;
      // On the host's network, localhost is the host (where Alertmanager's port is published) and
      // compose's names do not resolve; in Prometheus' own container, localhost is Prometheus.
      const why = hostNetwork
        ? serviceName
          ? `${target} names a compose service, which Prometheus on the host's network cannot resolve`
          : undefined
        : loopback
          ? `alerts go to ${target}: in Prometheus' container that is Prometheus itself`
          : !serviceName && !host.includes(".")
            ? `alerts go to ${target}, which is no compose service`
            : undefined;
      if (why !== undefined)
        add({
          severity: "blocker",
          subject: "alerting",
          file: config.file,
          line: config.lineOf(["alerting", "alertmanagers"]),
          observed: why,
          impact: "no alert reaches Alertmanager: every alert is dropped",
        });
    }
    return findings;
  },
};

export interface AlertRule {
  readonly name: string;
  readonly expr: string;
  readonly file: string;
  readonly line: number | undefined;
}

export function alertRules(file: YamlFile): AlertRule[] {
  return looseList(looseObject(file.data)["groups"]).flatMap((group, g) =>
    looseList(looseObject(group)["rules"]).flatMap((rule, r) => {
      const alert = looseObject(rule)["alert"];
      return typeof alert === "string"
        ? [
            {
              name: alert,
              expr: looseText(looseObject(rule)["expr"], ""),
              file: file.file,
              line: file.lineOf(["groups", g, "rules", r]),
            },
          ]
        : [];
    }),
  );
}

const PLACEHOLDER = /<[^>]+>|\b(changeme|change_me|xxx+|todo|example\.(com|org))\b|\$\{/i;

const receivers: AuditCheck = {
  id: "alertmanager.receivers",
  title: "Alertmanager routes every alert to a receiver that reaches someone",
  run(context) {
    const alertmanager = context.alertmanager;
    const service = composeServiceFor(context.profile, "alertmanager");
    const runs = service !== undefined && context.compose.model?.services.has(service) === true;
    const says = tableSays("Alertmanager");
    if (alertmanager === undefined) {
      if (!runs) return { skipped: "no Alertmanager in this checkout" };
      return [
        {
          id: "alertmanager.receivers",
          severity: "blocker",
          kind: "drift",
          subject: service,
          ...(context.compose.files[0] === undefined ? {} : { file: context.compose.files[0].file }),
          runbook: says,
          observed: `${service} mounts no configuration from the checkout: it runs with its image's default`,
          impact:
            "the default routes alerts to a webhook on 127.0.0.1:5001 in its own container: they reach nobody",
        },
      ];
    }
    if (alertmanager.data === undefined)
      return { skipped: "Alertmanager's configuration does not parse (see validate.amtool)" };
    const findings: Finding[] = [];
    const config = looseObject(alertmanager.data);
    const defined = looseList(config["receivers"]).map((r, index) => ({ receiver: looseObject(r), index }));
    const used = new Map<string, (string | number)[]>();
    const walk = (route: LooseObject, at: (string | number)[]) => {
      if (typeof route["receiver"] === "string" && !used.has(route["receiver"]))
        used.set(route["receiver"], [...at, "receiver"]);
      for (const [i, child] of looseList(route["routes"]).entries())
        walk(looseObject(child), [...at, "routes", i]);
    };
    walk(looseObject(config["route"]), ["route"]);
    for (const [name, at] of used) {
      const found = defined.find((d) => d.receiver["name"] === name);
      if (found === undefined) continue; // amtool names an undefined receiver
      const configs = Object.entries(found.receiver).filter(
        ([key, value]) => key.endsWith("_configs") && looseList(value).length > 0,
      );
      const root = at.length === 2;
      const line = alertmanager.lineOf(["receivers", found.index]);
      if (configs.length === 0) {
        findings.push({
          id: "alertmanager.receivers",
          severity: root ? "blocker" : "warning",
          kind: "drift",
          subject: name,
          file: alertmanager.file,
          line: alertmanager.lineOf(at),
          runbook: says,
          observed: `${root ? "the top route" : "a route"} sends alerts to ${name}, which has no *_configs`,
          impact: `${root ? "every alert" : "the alerts of that route"} reaches nobody: BackendDown and StreamerDown fire in silence`,
          scenario: "nginx-502",
        });
        continue;
      }
      for (const [key, value] of configs) {
        for (const [i, entry] of looseList(value).entries()) {
          const url = looseText(looseObject(entry)["url"] ?? looseObject(entry)["api_url"]);
          if (/^https?:\/\/(localhost|127\.|\[::1\])/.test(url))
            findings.push({
              id: "alertmanager.receivers",
              severity: "blocker",
              kind: "drift",
              subject: name,
              file: alertmanager.file,
              line: alertmanager.lineOf(["receivers", found.index, key, i]),
              runbook: says,
              observed: `${name} posts to ${url}`,
              impact:
                "loopback in Alertmanager's container is Alertmanager itself: the notifications reach nobody",
            });
          else if (
            Object.values(looseObject(entry)).some((v) => typeof v === "string" && PLACEHOLDER.test(v))
          )
            findings.push({
              id: "alertmanager.receivers",
              severity: "warning",
              kind: "drift",
              subject: name,
              file: alertmanager.file,
              line: line,
              runbook: says,
              observed: `${name}'s ${key} still holds a placeholder`,
              impact: "the notification fails to send until it is filled in",
            });
        }
      }
    }
    return findings;
  },
};

export const MONITORING_CHECKS: readonly AuditCheck[] = [targets, rules, receivers];
