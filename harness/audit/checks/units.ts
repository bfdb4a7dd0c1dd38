import path from "node:path";
import type { Finding, Severity } from "../../findings/finding.ts";
import {
  commandWords,
  splitWords,
  unitBoolean,
  type UnitAssignment,
  type UnitFile,
} from "../../parse/unit-file.ts";
import { composeServiceFor } from "../../profile/profile.ts";
import type { UnitRole } from "../checkout.ts";
import type { AuditCheck, AuditContext } from "../context.ts";
import { at, ROLE_QUOTE, runbookSetting, runbookUnit } from "./runbook-units.ts";
import { streamerVenv } from "./venvs.ts";

const DEPENDENCY_KEYS: readonly { key: string; severity: Severity; effect: string }[] = [
  { key: "Requires", severity: "blocker", effect: "systemd refuses to start the unit (Unit … not found)" },
  { key: "BindsTo", severity: "blocker", effect: "systemd refuses to start the unit (Unit … not found)" },
  { key: "Requisite", severity: "blocker", effect: "systemd refuses to start the unit (Unit … not found)" },
  {
    key: "After",
    severity: "warning",
    effect: "the ordering is void: nothing makes the unit wait for what it needs, so at boot it races it",
  },
  { key: "Before", severity: "info", effect: "the ordering is void" },
  { key: "PartOf", severity: "warning", effect: "restarts and stops of that unit never reach this one" },
  { key: "Wants", severity: "info", effect: "nothing is pulled in: the unit starts alone" },
];

const roleUnits = (context: AuditContext) => [...context.units] as [UnitRole, UnitFile][];

/** Whether a unit exists where the stack is deployed: on a fresh host, or installed from the checkout. */
function unitExists(context: AuditContext, name: string): boolean {
  if (context.host.hostUnits.has(name) || context.allUnits.some((u) => u.name === name)) return true;
  const template = /^(.+@)[^.]+(\.\w+)$/.exec(name);
  return template !== null && unitExists(context, `${template[1] ?? ""}${template[2] ?? ""}`);
}

const dependencies: AuditCheck = {
  id: "unit.dependencies",
  title: "the units' After=/Requires=/Wants= name units that exist on the host",
  run(context) {
    return roleUnits(context).flatMap(([role, unit]) =>
      DEPENDENCY_KEYS.flatMap(({ key, severity, effect }) => {
        const theirs = new Set(
          runbookUnit(role)
            ?.items("Unit", key)
            .map((i) => i.item) ?? [],
        );
        return unit
          .items("Unit", key)
          .filter(({ item }) => !unitExists(context, item))
          .map(({ item, at: assignment }): Finding => {
            const runbookToo = theirs.has(item);
            return {
              id: "unit.dependencies",
              severity: runbookToo ? "info" : severity,
              kind: runbookToo ? "runbook" : "drift",
              subject: unit.name,
              ...at(unit, assignment),
              runbook: runbookSetting(role, "Unit", key, ROLE_QUOTE[role]),
              observed: `${key}=${item}: no unit ${item} exists on the host (it is neither in the checkout nor on a Debian or Ubuntu host with Docker${runbookToo ? "; the runbook's own unit names it: PostgreSQL and Redis run in Docker, not as units" : ""})`,
              impact: effect,
              ...(key === "After" ? { scenario: "db-not-ready" } : {}),
            };
          });
      }),
    );
  },
};

const users: AuditCheck = {
  id: "unit.user",
  title: "the users the units run as exist, and may do what the unit needs",
  run(context) {
    const findings: Finding[] = [];
    for (const [role, unit] of roleUnits(context)) {
      const user = unit.get("Service", "User");
      if (user === undefined || user.value === "root" || user.value === "0") continue;
      if (!context.host.users.has(user.value)) {
        const declared = context.profile.users.includes(user.value);
        findings.push({
          id: "unit.user",
          severity: declared ? "info" : "warning",
          kind: "drift",
          subject: unit.name,
          ...at(unit, user),
          runbook: runbookSetting(role, "Service", "User", ROLE_QUOTE[role]),
          observed: `User=${user.value}: a host set up as the runbook says has no user ${user.value}${declared ? " (the profile lists it as a service user)" : ""}`,
          impact: `the unit fails with status 217/USER until someone creates ${user.value}; the runbook never says to`,
        });
      }
      if (
        role === "update" &&
        /\bsystemctl\s+(?:restart|start|stop)\b/.test(context.updateScript?.text ?? "")
      ) {
        findings.push({
          id: "unit.user",
          severity: "blocker",
          kind: "drift",
          subject: unit.name,
          ...at(unit, user),
          runbook: runbookSetting("update", "Service", "User", "systemctl restart sattva-streamer"),
          observed: `User=${user.value}: the update script's \`systemctl restart\` runs as ${user.value}, not root`,
          impact:
            "systemd refuses an unprivileged restart (Interactive authentication required): the streamer keeps the old yt-dlp after every update, and the service fails",
          scenario: "yt-dlp-broken",
        });
      }
    }
    return findings;
  },
};

/** What a unit's sandboxing leaves writable and reachable, as systemd.exec(5) defines the options. */
function sandbox(unit: UnitFile) {
  const value = (key: string) => unit.get("Service", key);
  const protectSystem = value("ProtectSystem");
  const level =
    protectSystem === undefined
      ? undefined
      : unitBoolean(protectSystem.value) === true
        ? "yes"
        : protectSystem.value;
  const writable = [
    "ReadWritePaths",
    "StateDirectory",
    "CacheDirectory",
    "LogsDirectory",
    "RuntimeDirectory",
  ].flatMap((key) => unit.items("Service", key).map((i) => i.item.replace(/^[-+]/, "")));
  const readOnly = unit.items("Service", "ReadOnlyPaths").map((i) => i.item.replace(/^[-+]/, ""));
  const families = unit.get("Service", "RestrictAddressFamilies");
  const allowedFamilies = families === undefined ? undefined : splitWords(families.value);
  const denied = unit.items("Service", "IPAddressDeny").some((i) => i.item === "any");
  const allowed = unit.items("Service", "IPAddressAllow").map((i) => i.item);
  return {
    protectSystem,
    level,
    writable,
    readOnly,
    privateNetwork: value("PrivateNetwork"),
    protectHome: value("ProtectHome"),
    families,
    allowedFamilies,
    ipDeny: denied ? unit.items("Service", "IPAddressDeny").find((i) => i.item === "any")?.at : undefined,
    ipAllowed: allowed,
  };
}

const under = (file: string, dir: string) =>
  file === dir || file.startsWith(dir.endsWith("/") ? dir : `${dir}/`);

/** The problems a unit's sandboxing makes for a path it must write and for the network it needs. */
function sandboxProblems(
  unit: UnitFile,
  needs: { writes: readonly { path: string; why: string }[]; network: string },
): { assignment: UnitAssignment | undefined; observed: string; breaks: string }[] {
  const box = sandbox(unit);
  const problems: { assignment: UnitAssignment | undefined; observed: string; breaks: string }[] = [];
  for (const write of needs.writes) {
    const kept = box.writable.some((dir) => under(write.path, dir));
    const readOnlySystem =
      box.level === "strict" ||
      ((box.level === "yes" || box.level === "full") && /^\/(usr|boot|efi)(\/|$)/.test(write.path));
    if (readOnlySystem && !kept)
      problems.push({
        assignment: box.protectSystem,
        observed: `ProtectSystem=${box.protectSystem?.value ?? ""} makes ${write.path} read-only and no ReadWritePaths= covers it`,
        breaks: write.why,
      });
    const readOnly = box.readOnly.find((dir) => under(write.path, dir));
    if (readOnly !== undefined && !kept)
      problems.push({
        assignment: unit.get("Service", "ReadOnlyPaths"),
        observed: `ReadOnlyPaths=${readOnly} covers ${write.path}`,
        breaks: write.why,
      });
    const home =
      box.protectHome === undefined
        ? undefined
        : unitBoolean(box.protectHome.value) === true
          ? "yes"
          : box.protectHome.value;
    if (
      home !== undefined &&
      home !== "no" &&
      home !== "false" &&
      /^\/(home|root|run\/user)(\/|$)/.test(write.path)
    )
      problems.push({
        assignment: box.protectHome,
        observed: `ProtectHome=${box.protectHome?.value ?? ""} hides or freezes ${write.path}`,
        breaks: write.why,
      });
  }
  if (box.privateNetwork !== undefined && unitBoolean(box.privateNetwork.value) === true)
    problems.push({
      assignment: box.privateNetwork,
      observed: "PrivateNetwork=yes gives the unit a network of its own with only its own loopback",
      breaks: needs.network,
    });
  if (box.allowedFamilies !== undefined && !box.allowedFamilies.includes("none")) {
    const negated = box.allowedFamilies[0]?.startsWith("~") === true;
    const listed = box.allowedFamilies.map((f) => f.replace(/^~/, ""));
    const inet = negated ? listed.includes("AF_INET") : !listed.includes("AF_INET");
    if (inet)
      problems.push({
        assignment: box.families,
        observed: `RestrictAddressFamilies=${box.families?.value ?? ""} forbids AF_INET`,
        breaks: needs.network,
      });
  } else if (box.allowedFamilies?.includes("none") === true) {
    problems.push({
      assignment: box.families,
      observed: "RestrictAddressFamilies=none forbids every socket",
      breaks: needs.network,
    });
  }
  if (box.ipDeny !== undefined && box.ipAllowed.length === 0)
    problems.push({
      assignment: box.ipDeny,
      observed: "IPAddressDeny=any with no IPAddressAllow=",
      breaks: needs.network,
    });
  return problems;
}

const sandboxing: AuditCheck = {
  id: "unit.sandbox",
  title: "sandboxing options leave the services and the timer's pip what they need",
  run(context) {
    const findings: Finding[] = [];
    const venv = streamerVenv(context);
    for (const [role, unit] of roleUnits(context)) {
      if (role === "timer") continue;
      const workdir = unit.get("Service", "WorkingDirectory")?.value.replace(/^-/, "");
      const needs =
        role === "update"
          ? {
              writes:
                venv === undefined
                  ? []
                  : [
                      {
                        path: venv,
                        why: `pip install -U cannot write ${venv}: the daily update fails, and yt-dlp falls behind YouTube`,
                      },
                    ],
              network: "pip cannot reach the package index: the daily update fails",
            }
          : {
              writes:
                workdir === undefined
                  ? []
                  : [
                      {
                        path: workdir,
                        why: `the ${role} cannot write its working directory ${workdir} (caches, downloaded media, logs)`,
                      },
                    ],
              network:
                role === "backend"
                  ? "the backend can neither listen on the host's :8000 nor reach PostgreSQL and Redis on the host's loopback: nginx answers 502"
                  : "the streamer cannot reach Redis on the host's loopback, Telegram or the media it streams",
            };
      for (const problem of sandboxProblems(unit, needs)) {
        findings.push({
          id: "unit.sandbox",
          severity: role !== "update" && problem.breaks.includes("working directory") ? "warning" : "blocker",
          kind: "drift",
          subject: unit.name,
          ...at(unit, problem.assignment),
          runbook: runbookSetting(role, "Service", "User", ROLE_QUOTE[role]),
          observed: problem.observed,
          impact: problem.breaks,
          ...(role === "update" ? { scenario: "yt-dlp-broken" } : {}),
        });
      }
    }
    return findings;
  },
};

const restart: AuditCheck = {
  id: "unit.restart",
  title: "the backend and the streamer are restarted when they die (Restart=always, RestartSec=10)",
  run(context) {
    return (["backend", "streamer"] as const).flatMap((role): Finding[] => {
      const unit = context.units.get(role);
      if (unit === undefined) return [];
      const setting = unit.get("Service", "Restart");
      if (setting !== undefined && setting.value !== "no") return [];
      return [
        {
          id: "unit.restart",
          severity: "warning",
          kind: "drift",
          subject: unit.name,
          ...at(unit, setting),
          runbook: runbookSetting(role, "Service", "Restart", ROLE_QUOTE[role]),
          observed: setting === undefined ? "no Restart= (systemd's default is no)" : "Restart=no",
          impact: `a crash (kill -9, an OOM kill, an unhandled exception) leaves the ${role} down until someone restarts it by hand${role === "backend" ? ": nginx answers 502 meanwhile" : ""}`,
          scenario: role === "backend" ? "nginx-502" : "yt-dlp-broken",
        },
      ];
    });
  },
};

/** What each dependency that couples a unit's life to another's does to it (systemd.unit(5)). */
const COUPLINGS: Readonly<Record<string, (other: string) => string>> = {
  Requires: (other) =>
    `\`systemctl stop ${other}\` stops this unit too, and starting ${other} again does not start it: it stays down until someone starts it by hand`,
  BindsTo: (other) =>
    `this unit stops whenever ${other} stops, for any reason (a crash too), and starting ${other} again does not start it: it stays down until someone starts it by hand`,
  PartOf: (other) =>
    `every stop and restart of ${other} stops or restarts this unit too: it goes down with it, though nothing of it failed`,
};

/**
 * A deployment unit whose life is tied to another's (the streamer `Requires=` the backend): the
 * runbook's units only order themselves (`After=`), so a stop or a crash of one stays its own.
 */
const coupling: AuditCheck = {
  id: "unit.coupling",
  title:
    "the backend and the streamer live their own lives (After=, not Requires=/BindsTo=/PartOf= on each other)",
  run(context) {
    const names = new Map(roleUnits(context).map(([role, unit]) => [unit.name, role] as const));
    return roleUnits(context).flatMap(([role, unit]) =>
      Object.entries(COUPLINGS).flatMap(([key, effect]) =>
        unit
          .items("Unit", key)
          .filter(({ item }) => names.has(item) && item !== unit.name && names.get(item) !== "update")
          .map(({ item, at: assignment }): Finding => ({
            id: "unit.coupling",
            severity: "warning",
            kind: "drift",
            subject: unit.name,
            ...at(unit, assignment),
            runbook: runbookSetting(role, "Unit", "After", ROLE_QUOTE[role]),
            observed: `${key}=${item}: the ${role} lives and dies with the ${names.get(item) ?? item}`,
            impact: effect(item),
            scenario: "nginx-502",
          })),
      ),
    );
  },
};

const install: AuditCheck = {
  id: "unit.install",
  title: "the units can be enabled, so they come back after a reboot",
  run(context) {
    return roleUnits(context).flatMap(([role, unit]): Finding[] => {
      if (role === "update") return []; // the timer starts it
      const wanted = [...unit.items("Install", "WantedBy"), ...unit.items("Install", "RequiredBy")];
      if (wanted.length > 0) return [];
      return [
        {
          id: "unit.install",
          severity: "warning",
          kind: "drift",
          subject: unit.name,
          ...at(unit, undefined),
          runbook: runbookSetting(role, "Install", "WantedBy", ROLE_QUOTE[role]),
          observed: "no [Install] WantedBy= or RequiredBy=",
          impact: `\`systemctl enable ${unit.name}\` has nothing to enable: after a reboot the ${role} stays down`,
          scenario: "db-not-ready",
        },
      ];
    });
  },
};

/** Flags that run a development server: a file watcher, a debugger, auto-reload. */
export const DEV_FLAGS = /^(--reload|--reload-dir|--debug|--dev|--autoreload|runserver|dev)$/;
/** Environment settings that switch an app into development mode. */
export function devEnvironment(name: string, value: string): boolean {
  return (
    (/^(DEBUG|FLASK_DEBUG|.*_DEBUG)$/.test(name) && /^(1|true|yes|on)$/i.test(value)) ||
    (/^(ENV|APP_ENV|ENVIRONMENT|FLASK_ENV|NODE_ENV|PYTHON_ENV)$/.test(name) &&
      /^dev(elopment)?$/i.test(value))
  );
}

/** The host and port a Python ASGI/WSGI server is told to bind, and where, from its command words. */
export function bindOf(words: readonly string[]): {
  host: string | undefined;
  port: number | undefined;
  /** Bind flags whose value names a variable the unit does not set (`--port ${PORT}`): unknown here. */
  unresolved: string[];
} {
  let host: string | undefined;
  let port: number | undefined;
  const unresolved: string[] = [];
  for (const [i, word] of words.entries()) {
    const next = words[i + 1];
    const [flag, inline] = word.includes("=")
      ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)]
      : [word, undefined];
    const value = inline ?? next;
    if (value === undefined) continue;
    const bindFlag = ["--host", "-h", "--port", "-p", "--bind", "-b"].includes(flag);
    // A value still holding a `$` names a variable the unit does not set: unknown, not a port.
    if (value.includes("$")) {
      if (bindFlag) unresolved.push(inline === undefined ? `${flag} ${value}` : word);
      continue;
    }
    if (flag === "--host" || flag === "-h") host = value;
    else if (flag === "--port" || flag === "-p") port = tcpPort(value) ?? port;
    else if (flag === "--bind" || flag === "-b") {
      const match = /^(.*):(\d+)$/.exec(value);
      if (match !== null) [host, port] = [match[1], tcpPort(match[2] ?? "") ?? port];
    }
  }
  return { host, port, unresolved };
}

function tcpPort(text: string): number | undefined {
  const port = Number(text);
  return /^\d+$/.test(text) && port >= 1 && port <= 65_535 ? port : undefined;
}

/**
 * A command line's words with `${NAME}` and `$NAME` replaced from the unit's Environment=, as systemd
 * does before it runs ExecStart; a name the unit does not set (an EnvironmentFile's) is left as it is.
 */
export function expandUnitVariables(words: readonly string[], unit: UnitFile): string[] {
  const env = unit.environment();
  return words.map((word) =>
    word.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced?: string, bare?: string) => {
      return env.get(braced ?? bare ?? "")?.value ?? whole;
    }),
  );
}

/**
 * `sh -c '…'` (or `/usr/bin/env bash -c "…"`): the words of the script the shell runs, where the server
 * and its flags are (`cd /opt/x && exec venv/bin/uvicorn app:app --port 8000`); other commands as they are.
 */
export function throughShell(words: readonly string[]): readonly string[] {
  const shells = new Set(["sh", "bash", "dash"]);
  const start = path.basename(words[0] ?? "") === "env" ? 1 : 0;
  const script = words[words.indexOf("-c", start) + 1];
  if (!shells.has(path.basename(words[start] ?? "")) || !words.includes("-c") || script === undefined)
    return words;
  return splitWords(script);
}

/** The app servers whose defaults are known: uvicorn binds 127.0.0.1:8000 unless told otherwise. */
const SERVER_DEFAULTS: Readonly<Record<string, { host: string; port: number }>> = {
  uvicorn: { host: "127.0.0.1", port: 8000 },
  gunicorn: { host: "127.0.0.1", port: 8000 },
  hypercorn: { host: "127.0.0.1", port: 8000 },
};

/** The backend's listening address from its unit's ExecStart, with the server's defaults filled in. */
export function backendBind(unit: UnitFile):
  | {
      host: string;
      port: number;
      at: UnitAssignment;
      server: string;
      /** Whether the command gives the host (else it is the server's default). */
      hostGiven: boolean;
      /** Bind flags whose variable the unit does not set (`--port ${PORT}`, from an env file?). */
      unresolved: readonly string[];
      /** Whether an unresolved flag leaves the host, or the port, unknown (the default stands in). */
      hostUnknown: boolean;
      portUnknown: boolean;
    }
  | undefined {
  const exec = unit.get("Service", "ExecStart");
  if (exec === undefined) return undefined;
  const words = expandUnitVariables(throughShell(commandWords(exec.value)), unit);
  const server = words.map((w) => path.basename(w)).find((w) => w in SERVER_DEFAULTS);
  if (server === undefined) return undefined;
  const defaults = SERVER_DEFAULTS[server] ?? { host: "127.0.0.1", port: 8000 };
  const bind = bindOf(words);
  return {
    host: bind.host ?? defaults.host,
    port: bind.port ?? defaults.port,
    at: exec,
    server,
    hostGiven: bind.host !== undefined,
    unresolved: bind.unresolved,
    hostUnknown: bind.host === undefined && bind.unresolved.some((f) => /^(--host|-h|--bind|-b)\b/.test(f)),
    portUnknown: bind.port === undefined && bind.unresolved.some((f) => /^(--port|-p|--bind|-b)\b/.test(f)),
  };
}

const exec: AuditCheck = {
  id: "unit.exec",
  title: "each unit starts a command and an app the checkout has, as production should run them",
  run(context) {
    const findings: Finding[] = [];
    const finding = (
      role: UnitRole,
      unit: UnitFile,
      assignment: UnitAssignment | undefined,
      severity: Severity,
      observed: string,
      impact: string,
      scenario?: string,
    ): void => {
      findings.push({
        id: "unit.exec",
        severity,
        kind: "drift",
        subject: unit.name,
        ...at(unit, assignment),
        runbook: runbookSetting(role, "Service", "ExecStart", ROLE_QUOTE[role]),
        observed,
        impact,
        ...(scenario === undefined ? {} : { scenario }),
      });
    };
    for (const [role, unit] of roleUnits(context)) {
      if (role === "timer") continue;
      const starts = unit.all("Service", "ExecStart");
      if (starts.length === 0) {
        finding(
          role,
          unit,
          undefined,
          "blocker",
          "no ExecStart=",
          "systemd refuses to start a service with nothing to run",
        );
        continue;
      }
      const workdir = unit.get("Service", "WorkingDirectory")?.value.replace(/^-/, "");
      for (const start of starts) {
        const words = commandWords(start.value);
        const command = words[0] ?? "";
        const inCheckout = context.checkout.fromHost(command);
        const venv = /^(.*)\/\.?venv\/bin\/[^/]+$/.exec(command);
        if (inCheckout !== undefined && venv !== null) {
          const project = context.checkout.fromHost(venv[1] ?? "") ?? ".";
          const built = ["requirements.txt", "pyproject.toml", "setup.py"].some((f) =>
            context.checkout.has(path.join(project, f)),
          );
          if (!built)
            finding(
              role,
              unit,
              start,
              "warning",
              `${command} comes from a venv, but ${project}/ has no requirements.txt or pyproject.toml to build it from`,
              "a host set up from the checkout has no interpreter for the unit: status 203/EXEC",
            );
        } else if (inCheckout !== undefined && !context.checkout.has(inCheckout)) {
          finding(
            role,
            unit,
            start,
            "blocker",
            `${command} is not in the checkout (${inCheckout})`,
            "the unit fails at once with status 203/EXEC",
          );
        }
        // The app it runs: `-m uvicorn pkg.mod:app`, `python main.py`.
        const appDir = workdir === undefined ? undefined : context.checkout.fromHost(workdir);
        if (appDir !== undefined) {
          const module = words.find((w) => /^[A-Za-z_][\w.]*:[A-Za-z_]\w*$/.test(w));
          const script = words.slice(1).find((w) => w.endsWith(".py"));
          const candidates =
            module !== undefined
              ? [
                  `${module.split(":")[0]?.replaceAll(".", "/") ?? ""}.py`,
                  `${module.split(":")[0]?.replaceAll(".", "/") ?? ""}/__init__.py`,
                ]
              : script !== undefined && !path.isAbsolute(script)
                ? [script]
                : [];
          if (candidates.length > 0 && !candidates.some((c) => context.checkout.has(path.join(appDir, c))))
            finding(
              role,
              unit,
              start,
              "blocker",
              `runs ${module ?? script ?? ""} from ${workdir}, but the checkout has no ${path.join(appDir, candidates[0] ?? "")}`,
              `the ${role} exits at start (ModuleNotFoundError or No such file), and systemd restarts it forever`,
            );
        }
        const dev = words.filter((w) => DEV_FLAGS.test(w.split("=")[0] ?? ""));
        if (dev.length > 0)
          finding(
            role,
            unit,
            start,
            "warning",
            `a development flag: ${dev.join(" ")}`,
            dev.includes("--reload")
              ? "uvicorn's reloader runs the app in a child process and restarts it whenever a file under its directory changes (a deploy, a pip upgrade): requests fail mid-change, and systemd watches the reloader, not the app"
              : "a development server is not meant for production traffic",
          );
      }
      if (role === "backend") {
        const bind = backendBind(unit);
        // nginx on the host's network (network_mode: host) reaches a loopback-only backend.
        const frontendName = composeServiceFor(context.profile, "frontend");
        const frontendOnHost =
          frontendName !== undefined &&
          context.compose.model?.services.get(frontendName)?.networkMode === "host";
        if (bind !== undefined && bind.unresolved.length > 0) {
          finding(
            role,
            unit,
            bind.at,
            "warning",
            `${bind.unresolved.map((f) => `\`${f}\``).join(", ")}: a variable the unit does not set (an EnvironmentFile's, or none)`,
            `where the backend listens is known only on the host; the audit assumes ${bind.server}'s default ${bind.hostUnknown ? bind.host : ""}${bind.hostUnknown && bind.portUnknown ? ":" : ""}${bind.portUnknown ? String(bind.port) : ""}, and an unset variable makes the server fail at start`,
          );
        }
        if (
          bind !== undefined &&
          !frontendOnHost &&
          !bind.hostUnknown &&
          (bind.host === "127.0.0.1" || bind.host === "localhost" || bind.host === "::1")
        ) {
          finding(
            role,
            unit,
            bind.at,
            "blocker",
            `${bind.server} listens on ${bind.host}:${bind.port}${bind.hostGiven ? "" : ` (its default; the unit gives no --host)`}`,
            "nginx runs in a container and reaches the backend at 172.17.0.1, which a loopback-only backend never answers: every /api/ request gets 502",
            "nginx-502",
          );
        } else if (
          bind !== undefined &&
          !bind.hostUnknown &&
          (bind.host === "0.0.0.0" || bind.host === "::")
        ) {
          findings.push({
            id: "unit.exec",
            severity: "info",
            kind: "runbook",
            subject: unit.name,
            ...at(unit, bind.at),
            runbook: runbookSetting("backend", "Service", "ExecStart", ROLE_QUOTE.backend),
            observed: `${bind.server} listens on ${bind.host}:${bind.port}, as the runbook says`,
            impact:
              "the backend answers on every interface of the VPS, without nginx: anyone who can reach the host on that port bypasses the frontend (no firewall is in the runbook)",
          });
        }
        if (bind !== undefined && !bind.portUnknown && bind.port !== context.profile.backend.port)
          finding(
            role,
            unit,
            bind.at,
            "warning",
            `${bind.server} listens on port ${bind.port}, not ${context.profile.backend.port}${context.checkout.departs((p) => p.backend.port) ? " (the profile's backend.port)" : " (the runbook's port)"}`,
            "nginx, Prometheus and the runbook's `curl http://localhost:8000/health` look for the backend on the other port",
            "nginx-502",
          );
      }
    }
    return findings;
  },
};

const environment: AuditCheck = {
  id: "unit.environment",
  title: "the units' environment: PATH, env files, development settings",
  run(context) {
    const findings: Finding[] = [];
    for (const [role, unit] of roleUnits(context)) {
      if (role === "timer") continue;
      const env = unit.environment();
      const pathSetting = env.get("PATH");
      if (pathSetting !== undefined) {
        const dirs = pathSetting.value.split(":");
        if (!dirs.some((dir) => ["/usr/bin", "/bin", "/usr/local/bin"].includes(dir))) {
          const runbookToo = runbookUnit(role)?.environment().get("PATH")?.value === pathSetting.value;
          findings.push({
            id: "unit.environment",
            severity: runbookToo ? "info" : "warning",
            kind: runbookToo ? "runbook" : "drift",
            subject: unit.name,
            ...at(unit, pathSetting.at),
            runbook: runbookSetting(role, "Service", "Environment", ROLE_QUOTE[role]),
            observed: `PATH=${pathSetting.value}: no /usr/bin or /bin`,
            impact:
              role === "streamer"
                ? "the streamer and yt-dlp find no program by name: ffmpeg (which PyTgCalls and yt-dlp run to play and merge media) is not found"
                : "the service finds no system program by name (ffmpeg, git, curl) when it runs one",
          });
        }
      }
      for (const [name, setting] of env) {
        if (!devEnvironment(name, setting.value)) continue;
        findings.push({
          id: "unit.environment",
          severity: "warning",
          kind: "drift",
          subject: unit.name,
          ...at(unit, setting.at),
          runbook: runbookSetting(role, "Service", "Environment", ROLE_QUOTE[role]),
          observed: `${name} set for development (Environment=${name}=…)`,
          impact: "debug mode in production: tracebacks and settings shown to clients, slower code paths",
        });
      }
      for (const file of unit.all("Service", "EnvironmentFile")) {
        const optional = file.value.startsWith("-");
        const hostPath = file.value.replace(/^-/, "");
        const rel = context.checkout.fromHost(hostPath);
        if (rel === undefined || context.checkout.has(rel)) continue;
        const example = context.checkout.exampleOf(rel);
        findings.push({
          id: "unit.environment",
          // With an example, the file is made from it at deploy time (secrets stay out of the
          // repository), as the harness makes it on its test hosts: a step the runbook omits. Without
          // one, nothing says what it must hold.
          severity: optional ? "info" : example === undefined ? "blocker" : "warning",
          kind: "drift",
          subject: unit.name,
          ...at(unit, file),
          runbook: runbookSetting(role, "Service", "Environment", ROLE_QUOTE[role]),
          observed: `EnvironmentFile=${file.value}: ${rel} is not in the checkout${example === undefined ? "" : ` (only ${example} is)`}`,
          impact: optional
            ? "the unit starts without those variables"
            : example === undefined
              ? `systemd refuses to start the unit (Failed to load environment files) until ${rel} is made, and nothing in the checkout says what it holds`
              : `the runbook never makes ${rel} from ${example}: followed as written, systemd refuses to start the unit (Failed to load environment files)`,
        });
      }
    }
    return findings;
  },
};

export const UNIT_CHECKS: readonly AuditCheck[] = [
  dependencies,
  coupling,
  users,
  sandboxing,
  exec,
  environment,
  restart,
  install,
];
