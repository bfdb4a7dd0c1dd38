import type { Finding, Severity } from "../../findings/finding.ts";
import { unitBoolean } from "../../parse/unit-file.ts";
import type { RunbookService } from "../../profile/profile.ts";
import { runbook, RunbookSections, type Citation } from "../../runbook/runbook.ts";
import type { AuditCheck, AuditContext } from "../context.ts";
import type { ToolRun } from "../validators.ts";
import { UNIT_SECTION } from "./runbook-units.ts";

/**
 * The field's own validators' complaints, each a finding with the file and line it names. What the
 * audit's own checks already say better (a missing unit, an unparsable calendar, a missing command)
 * is left to them, so nothing is reported twice.
 */
const rb = () => runbook();

function lines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
}

/** Where a unit file installed by host-validators.py came from in the checkout. */
function installedUnit(
  context: AuditContext,
  hostPath: string,
): { file: string; citation: Citation } | undefined {
  const match = /^\/etc\/systemd\/system\/([^/]+?)(?:\.d\/([^/]+))?$/.exec(hostPath);
  if (match === null) return undefined;
  const unit = context.allUnits.find((u) => u.name === match[1]);
  if (unit === undefined) return undefined;
  const file =
    match[2] === undefined ? unit.files[0] : unit.files.find((f) => f.endsWith(`/${match[2] ?? ""}`));
  const role = [...context.units].find(([, u]) => u === unit)?.[0];
  const citation = rb().cite(
    role === undefined ? RunbookSections.backendUnit : UNIT_SECTION[role],
    role === "timer"
      ? "systemctl enable --now yt-dlp-update.timer"
      : role === "update"
        ? "#!/bin/bash"
        : "[Service]",
  );
  return file === undefined ? undefined : { file, citation };
}

/** Complaints the audit's own checks already make, with a file and line: left out here. */
const SAID_ELSEWHERE = [
  /Unit \S+ not found/,
  /Failed to parse calendar specification/,
  /Timer unit lacks value setting/,
  /has a bad unit file setting/,
  /Command \S+ is not executable: No such file or directory/,
];

const systemd: AuditCheck = {
  id: "validate.systemd",
  title: "systemd-analyze verify accepts the units",
  run(context) {
    const run = context.host.verify;
    if (run === undefined) return { skipped: "the checkout has no unit files" };
    const updateScript =
      context.updateScript === undefined ? undefined : `${context.profile.root}/${context.updateScript.file}`;
    return lines(`${run.stderr}\n${run.stdout}`).flatMap((line): Finding[] => {
      if (SAID_ELSEWHERE.some((pattern) => pattern.test(line))) return [];
      if (updateScript !== undefined && line.includes(`Command ${updateScript} is not executable`)) return []; // script.update
      const located = /^(\/\S+?):(\d+): (.*)$/.exec(line);
      const named = /^([\w@.:-]+\.(?:service|timer|socket|target|path|mount)): (.*)$/.exec(line);
      const source =
        located === null
          ? named === null
            ? undefined
            : installedUnit(context, `/etc/systemd/system/${named[1] ?? ""}`)
          : installedUnit(context, located[1] ?? "");
      if (source === undefined) return [];
      const message = located?.[3] ?? named?.[2] ?? line;
      const ignored = /ignoring|Unknown (key|section|lvalue)/i.test(message);
      return [
        {
          id: "validate.systemd",
          severity: ignored ? "warning" : "blocker",
          kind: "drift",
          subject: source.file,
          file: source.file,
          ...(located === null ? {} : { line: Number(located[2]) }),
          runbook: source.citation,
          observed: `systemd-analyze verify: ${message}`,
          impact: ignored
            ? "systemd ignores the setting: the unit runs as if it were not there"
            : "systemd refuses or fails the unit as written",
        },
      ];
    });
  },
};

/** Settings that sandbox a service; a unit with none of them runs as the runbook's units do. */
const SANDBOX_KEYS =
  /^(Protect\w+|Private\w+|NoNewPrivileges|RestrictAddressFamilies|RestrictNamespaces|CapabilityBoundingSet|SystemCallFilter|ReadOnlyPaths|ReadWritePaths|DynamicUser|IPAddressDeny|MemoryDenyWriteExecute|LockPersonality|RestrictRealtime)$/;

const security: AuditCheck = {
  id: "validate.security",
  title: "systemd-analyze security: how exposed each service is",
  run(context) {
    const runs = context.host.security;
    if (runs === undefined) return { skipped: "the checkout has no services" };
    return [...context.units].flatMap(([role, unit]): Finding[] => {
      const run = runs[unit.name];
      const overall =
        run === undefined
          ? null
          : /Overall exposure level for \S+: ([\d.]+) (\w+)/.exec(`${run.stdout}\n${run.stderr}`);
      if (overall === null) return [];
      const score = Number(overall[1]);
      const asRunbook =
        (unit.get("Service", "User")?.value ?? "root") === "root" &&
        !unit.assignments.some(
          (a) => a.section === "Service" && SANDBOX_KEYS.test(a.key) && unitBoolean(a.value) !== false,
        );
      return [
        {
          id: "validate.security",
          severity: "info",
          kind: asRunbook ? "runbook" : "drift",
          subject: unit.name,
          file: unit.files[0] ?? unit.name,
          runbook: rb().cite(
            UNIT_SECTION[role],
            role === "backend" || role === "streamer"
              ? "User=root"
              : role === "timer"
                ? "systemctl enable --now yt-dlp-update.timer"
                : "#!/bin/bash",
          ),
          observed: `systemd-analyze security: exposure ${score} ${overall[2] ?? ""} (0 is fully sandboxed, 10 not at all)${asRunbook ? ": root with no sandboxing, as the runbook's units" : ""}`,
          impact:
            "a compromised service (a malicious media page handed to yt-dlp, say) can do whatever its user can on the VPS",
        },
      ];
    });
  },
};

/** One validator whose failure lines become findings at the file and line they name. */
function toolCheck(options: {
  id: string;
  title: string;
  /** The runs (as audit.ts names them) whose complaints this check reports; the first names the tool. */
  tools: readonly string[];
  citation: () => Citation;
  /** Parses one output line: the message, the container path and line it names. */
  parse: (line: string) => { message: string; path?: string; line?: number } | undefined;
  /** The runbook service whose container the tool saw; its mounts map paths back to the checkout. */
  service: RunbookService;
  /** The checkout file a message without a path is about (the configuration checked). */
  defaultFile: (context: AuditContext) => string | undefined;
}): AuditCheck {
  const [tool = ""] = options.tools;
  const problemsOf = (run: ToolRun) => {
    const found = lines(`${run.stdout}\n${run.stderr}`).flatMap((line) => {
      const parsed = options.parse(line);
      // "yaml: unmarshal errors:" heads the lines that say what is wrong.
      return parsed === undefined || parsed.message.endsWith(":") ? [] : [parsed];
    });
    return found.length > 0 ? found : [{ message: lines(run.stderr).at(-1) ?? `exit ${run.rc}` }];
  };
  return {
    id: options.id,
    title: options.title,
    run(context) {
      const runs = options.tools.flatMap((name) => context.tools.get(name) ?? []);
      if (runs.length === 0) return { skipped: `nothing for ${tool} to check in this checkout` };
      return runs
        .filter((run) => run.rc !== 0)
        .flatMap(problemsOf)
        .map((problem: { message: string; path?: string; line?: number }): Finding => {
          const file =
            (problem.path === undefined || problem.path === ""
              ? undefined
              : context.mountedFrom(options.service, problem.path)) ?? options.defaultFile(context);
          return {
            id: options.id,
            severity: "blocker",
            kind: "drift",
            subject: file ?? tool,
            ...(file === undefined ? {} : { file }),
            ...(problem.line === undefined ? {} : { line: problem.line }),
            runbook: options.citation(),
            observed: `${tool}: ${problem.message}`,
            impact:
              "the service refuses this configuration: it does not start (or keeps its old configuration on reload)",
          };
        });
    },
  };
}

const compose: AuditCheck = {
  id: "validate.compose",
  title: "docker compose config accepts the compose files",
  run(context) {
    const run = context.host.compose;
    if (run === undefined) return { skipped: "the checkout has no compose file" };
    if (run.rc === 0) return [];
    const message = lines(run.stderr)
      .filter((l) => !/level=warning/.test(l))
      .join(" / ");
    // Compose's YAML errors name the line where a block began; the audit's own parser names the broken one.
    const broken = context.compose.files.find((f) => f.errors.length > 0);
    const line = broken?.errors[0]?.line ?? /line (\d+)/.exec(message)?.[1];
    const first = broken ?? context.compose.files[0];
    return [
      {
        id: "validate.compose",
        severity: "blocker",
        kind: "drift",
        subject: first?.file ?? "compose",
        ...(first === undefined ? {} : { file: first.file }),
        ...(line === undefined ? {} : { line: Number(line) }),
        runbook: rb().cite(
          RunbookSections.startOrder,
          "docker compose up -d db redis frontend prometheus grafana alertmanager",
        ),
        observed: `docker compose config: ${message || `exit ${run.rc}`}`,
        impact: "every `docker compose` command of the runbook fails the same way: nothing in Docker starts",
      },
    ];
  },
};

const nginx = toolCheck({
  id: "validate.nginx",
  title:
    "nginx -t accepts the frontend's configuration (compose service names resolve as on the project network)",
  tools: ["nginx"],
  service: "frontend",
  defaultFile: (context) => context.nginx?.file,
  citation: () => rb().cite(RunbookSections.nginx, "server {"),
  parse: (line) => {
    const match = /\[emerg\] \d+#\d+: (.*?)(?: in (\/\S+):(\d+))?$/.exec(line);
    return match === null
      ? undefined
      : {
          message: match[1] ?? line,
          ...(match[2] === undefined ? {} : { path: match[2], line: Number(match[3]) }),
        };
  },
});

const promtoolConfig = toolCheck({
  id: "validate.promtool",
  title: "promtool check config accepts Prometheus' configuration and rules",
  tools: ["promtool", "promtool-rules"],
  service: "prometheus",
  defaultFile: (context) => context.prometheus?.file,
  citation: () => rb().cite(RunbookSections.table, "| Prometheus | `Docker` | 9090 | Мониторинг |"),
  parse: (line) => {
    const rule = /^(\/\S+?): (\d+):\d+: (.*)$/.exec(line);
    if (rule !== null) return { message: rule[3] ?? line, path: rule[1] ?? "", line: Number(rule[2]) };
    const failed = /FAILED: (?:parsing YAML file )?(\/\S+?):? (.*)$/.exec(line);
    if (failed !== null) return { message: failed[2] ?? line, path: failed[1] ?? "" };
    const yamlLine = /^line (\d+): (.*)$/.exec(line);
    return yamlLine === null
      ? undefined
      : { message: yamlLine[2] ?? line, path: "", line: Number(yamlLine[1]) };
  },
});

const amtool = toolCheck({
  id: "validate.amtool",
  title: "amtool check-config accepts Alertmanager's configuration",
  tools: ["amtool"],
  service: "alertmanager",
  defaultFile: (context) => context.alertmanager?.file,
  citation: () => rb().cite(RunbookSections.table, "| Alertmanager | `Docker` | 9093 | Алерты |"),
  parse: (line) => {
    const match = /^Checking '(\/\S+)'\s+FAILED: (.*)$/.exec(line);
    return match === null ? undefined : { message: match[2] ?? line, path: match[1] ?? "" };
  },
});

const SHELLCHECK_SEVERITY: Readonly<Record<string, Severity>> = {
  error: "warning",
  warning: "warning",
  info: "info",
  style: "info",
};

const shellcheck: AuditCheck = {
  id: "validate.shellcheck",
  title: "shellcheck finds no bug in the update script",
  run(context) {
    const run = context.tools.get("shellcheck");
    const script = context.updateScript;
    if (run === undefined || script === undefined) return { skipped: "the checkout has no update script" };
    const comments = (
      JSON.parse(run.stdout || '{"comments":[]}') as {
        comments: { line: number; level: string; code: number; message: string }[];
      }
    ).comments;
    // One finding per complaint, at its first line, naming the others (CRLF is one complaint per line).
    return [...Map.groupBy(comments, (c) => `${c.code} ${c.message}`).values()].flatMap((same): Finding[] => {
      const [c] = same;
      if (c === undefined) return [];
      const others = same.slice(1).map((o) => o.line);
      return [
        {
          id: "validate.shellcheck",
          severity: SHELLCHECK_SEVERITY[c.level] ?? "info",
          kind: "drift",
          subject: script.file,
          file: script.file,
          line: c.line,
          runbook: rb().cite(RunbookSections.updateScript, "#!/bin/bash"),
          observed: `shellcheck SC${c.code} (${c.level}): ${c.message}${others.length === 0 ? "" : ` (also lines ${others.join(", ")})`}`,
          impact: "the script may not do what it says when a value is empty, has spaces, or a command fails",
        },
      ];
    });
  },
};

export const VALIDATOR_CHECKS: readonly AuditCheck[] = [
  compose,
  systemd,
  security,
  nginx,
  promtoolConfig,
  amtool,
  shellcheck,
];
