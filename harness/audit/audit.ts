import path from "node:path";
import type { CheckOutcome } from "../findings/finding.ts";
import { secondsSince } from "../format.ts";
import type { ImageMode, Service } from "../images/catalogue.ts";
import { ensureImages } from "../images/image-builder.ts";
import { parseEnvFile } from "../parse/env-file.ts";
import { NginxParseError, parseNginxConf } from "../parse/nginx-conf.ts";
import { commandWords } from "../parse/unit-file.ts";
import type { YamlFile } from "../parse/yaml-file.ts";
import { composeServiceFor, RUNBOOK_PROFILE, type Profile, type RunbookService } from "../profile/profile.ts";
import { runbookContradictions } from "../runbook/contradictions.ts";
import { runbook } from "../runbook/runbook.ts";
import type { Checkout, Located } from "./checkout.ts";
import { COMPOSE_CHECKS } from "./checks/compose.ts";
import { MONITORING_CHECKS } from "./checks/monitoring.ts";
import { NGINX_CHECKS } from "./checks/nginx.ts";
import { UNIT_CHECKS } from "./checks/units.ts";
import { UPDATE_CHECKS } from "./checks/update.ts";
import { VALIDATOR_CHECKS } from "./checks/validators.ts";
import { parseComposeConfig, startedBy, type ComposeModel } from "./compose-model.ts";
import type { AuditCheck, AuditContext } from "./context.ts";
import { ServiceMounts } from "./mounts.ts";
import { composeEnvFiles, readCheckout, type CheckoutReading } from "./read-checkout.ts";
import { runValidator, validateOnHostImage, type HostValidationPlan, type ToolRun } from "./validators.ts";
import { testEnvFiles } from "../stack/deployment.ts";

const layout: AuditCheck = {
  id: "layout",
  title: "the parts the runbook names are where the runbook (or the profile) puts them",
  run: () => [],
};

const runbookText: AuditCheck = {
  id: "runbook.text",
  title: "the runbook's own contradictions",
  run: () => runbookContradictions(),
};

/** Every check, in the order the reports list them. */
export const AUDIT_CHECKS: readonly AuditCheck[] = [
  layout,
  ...UNIT_CHECKS,
  ...UPDATE_CHECKS,
  ...COMPOSE_CHECKS,
  ...NGINX_CHECKS,
  ...MONITORING_CHECKS,
  ...VALIDATOR_CHECKS,
  runbookText,
];

const VALIDATOR_IMAGES: readonly Service[] = ["host", "nginx", "prometheus", "alertmanager", "shellcheck"];

export interface AuditOptions {
  readonly stack: string;
  /** The runbook to judge the checkout by (`--runbook FILE`), instead of the checkout's own. */
  readonly runbook?: string | undefined;
  readonly mode?: ImageMode;
  readonly progress?: (line: string) => void;
}

export interface AuditResult {
  readonly checkout: Checkout;
  /** What the checks read: the checkout's parts and the validators' runs. */
  readonly context: AuditContext;
  readonly outcomes: readonly CheckOutcome[];
  readonly startedAt: Date;
  readonly durationMs: number;
}

/**
 * Audits a checkout of the deployment against its runbook, with no host: reads its parts, runs the
 * field's validators on them in the harness's images, and runs every check. Each difference is a
 * finding; only input that is no checkout at all (or a bad profile) is a UsageError.
 */
export async function audit(options: AuditOptions): Promise<AuditResult> {
  const startedAt = new Date();
  const started = performance.now();
  const progress = options.progress ?? (() => undefined);
  const reading = await readCheckout(options.stack, { runbook: options.runbook });
  const images = await ensureImages({
    mode: options.mode ?? "offline",
    services: VALIDATOR_IMAGES,
    progress,
  });
  const ref = (service: Service) => images.get(service)?.ref ?? "";
  progress(`audit: validators for ${reading.checkout.dir}`);
  const host = await validateOnHostImage(ref("host"), reading.checkout.dir, await hostPlan(reading));
  const model = host.compose?.rc === 0 ? parseComposeConfig(host.compose.stdout) : undefined;
  const mounts = new ServiceMounts(model, reading.profile, reading.checkout);
  const configs = await locateServiceConfigs(reading, model, mounts);
  const tools = await runServiceValidators(reading, configs, model, mounts, ref);
  const context: AuditContext = {
    checkout: reading.checkout,
    profile: reading.profile,
    units: reading.units,
    allUnits: reading.allUnits,
    compose: { files: reading.composeYaml, model, missingEnvFiles: reading.missingEnvFiles },
    ...configs,
    updateScript: reading.updateScript,
    updateCron: reading.updateCron,
    ...(await checkoutFacts(reading, model)),
    composeWarnings: [
      ...new Set(
        [...(host.compose?.stderr ?? "").matchAll(/The \\?"(\w+)\\?" variable is not set/g)].map(
          (m) => m[1] ?? "",
        ),
      ),
    ],
    host,
    tools,
    mountedFrom: (role, containerPath) => mounts.from(role, containerPath),
  };
  const outcomes = AUDIT_CHECKS.map((check): CheckOutcome => {
    if (check === layout) return { check, findings: reading.checkout.layoutFindings };
    const result = check.run(context);
    return "skipped" in result
      ? { check, findings: [], skipped: result.skipped }
      : { check, findings: result };
  });
  progress(`audit: ${AUDIT_CHECKS.length} checks in ${secondsSince(started)}`);
  return {
    checkout: reading.checkout,
    context,
    outcomes,
    startedAt,
    durationMs: performance.now() - started,
  };
}

/** What the host image's validators get: the checkout's compose-related files, its units, the timer's calendars. */
async function hostPlan(reading: CheckoutReading): Promise<HostValidationPlan> {
  const { checkout, profile, allUnits, units, composePaths, composeYaml, missingEnvFiles } = reading;
  const unitCommands = allUnits.flatMap((unit) =>
    unit.assignments
      .filter((a) => a.key.startsWith("Exec") || a.key === "EnvironmentFile")
      .flatMap((a) => commandWords(a.value).map((w) => checkout.fromHost(w.replace(/^-/, "")) ?? "")),
  );
  const envFiles = composeEnvFiles(composeYaml);
  return {
    root: profile.root,
    // What compose may read (its files, `extends:` and `include:` targets, env files) and what the units run.
    copy: [
      ...new Set([
        ...checkout.files.filter((f) => /\.(ya?ml|env)$|(^|\/)\.env(\.[\w-]+)?$/.test(f)),
        ...envFiles.map((f) => f.file),
        ...unitCommands.filter((f) => f !== "" && checkout.has(f)),
      ]),
    ],
    // As a test host gets them: from their examples, so compose resolves what the deployment will.
    standIns: await envStandIns(reading, missingEnvFiles),
    compose: composePaths.length === 0 ? null : composePaths.flatMap((f) => ["-f", f]),
    cwd: profile.root,
    units: allUnits.map((unit) => ({ name: unit.name, files: [...unit.files] })),
    calendars: [
      ...new Set(
        units
          .get("timer")
          ?.all("Timer", "OnCalendar")
          .map((a) => a.value) ?? [],
      ),
    ],
  };
}

/** Every env file the deployment reads that the checkout lacks, with the text a test host gets. */
async function envStandIns(
  reading: CheckoutReading,
  missing: readonly string[],
): Promise<{ file: string; text: string }[]> {
  const made = await testEnvFiles(reading);
  return [
    ...made.map(({ file, text }) => ({ file, text })),
    ...missing.filter((file) => !made.some((m) => m.file === file)).map((file) => ({ file, text: "" })),
  ];
}

interface ConfigPart extends Located {
  readonly what: "nginx" | "prometheus" | "alertmanager";
  readonly role: "frontend" | "prometheus" | "alertmanager";
  /** The profile key that names its path. */
  readonly key: string;
  readonly expected: (profile: Profile) => string;
}

/** The configuration files of the Docker services the runbook names, found through their compose mounts. */
const CONFIG_PARTS: readonly ConfigPart[] = [
  {
    what: "nginx",
    role: "frontend",
    key: "nginx.conf",
    expected: (p) => p.nginx.conf,
    description: "nginx's server block",
    severityIfMissing: "blocker",
    impactIfMissing: "the frontend serves its image's default page: /api/ reaches no backend",
  },
  {
    what: "prometheus",
    role: "prometheus",
    key: "monitoring.prometheus",
    expected: (p) => p.monitoring.prometheus,
    description: "Prometheus' configuration",
    severityIfMissing: "warning",
    impactIfMissing: "Prometheus scrapes nothing of the stack: no alert can fire",
  },
  {
    what: "alertmanager",
    role: "alertmanager",
    key: "monitoring.alertmanager",
    expected: (p) => p.monitoring.alertmanager,
    description: "Alertmanager's configuration",
    severityIfMissing: "warning",
    impactIfMissing: "Alertmanager runs with its image's default routing, which reaches nobody",
  },
];

/** The container paths each monitored service reads its configuration from, unless its command says otherwise. */
const CONFIG_PATHS: Readonly<Record<"frontend" | "prometheus" | "alertmanager", string>> = {
  frontend: "/etc/nginx/conf.d/default.conf",
  prometheus: "/etc/prometheus/prometheus.yml",
  alertmanager: "/etc/alertmanager/alertmanager.yml",
};

interface ServiceConfigs {
  readonly nginx: AuditContext["nginx"];
  readonly prometheus: YamlFile | undefined;
  readonly rules: readonly YamlFile[];
  readonly alertmanager: YamlFile | undefined;
}

/** The configuration each monitored service and nginx read: through compose's mounts, else the profile's files. */
async function locateServiceConfigs(
  reading: CheckoutReading,
  model: ComposeModel | undefined,
  mounts: ServiceMounts,
): Promise<ServiceConfigs> {
  const { checkout, profile } = reading;
  const deployed = (role: RunbookService) =>
    model === undefined || model.services.has(composeServiceFor(profile, role) ?? "");
  const configPath = (role: "prometheus" | "alertmanager") => configPathOf(model, profile, role);
  const locateConfig = (part: ConfigPart): string | undefined => {
    if (!deployed(part.role)) return undefined;
    const actual =
      part.role === "frontend"
        ? mounts.composeFileUnder("frontend", "/etc/nginx/", ".conf")
        : mounts.from(part.role, configPath(part.role), mounts.fromCompose(part.role));
    const found = checkout.locate(part, part.expected(profile), {
      actual,
      search: () => checkout.named(path.basename(part.expected(profile)))[0],
      keys: [part.key],
      runbookPath: part.expected(RUNBOOK_PROFILE),
    });
    if (found !== undefined)
      mounts.standIn(
        part.role,
        found,
        part.role === "frontend" ? CONFIG_PATHS.frontend : configPath(part.role),
      );
    return found;
  };
  const [nginxPath, prometheusPath, alertmanagerPath] = CONFIG_PARTS.map(locateConfig);

  const nginxText = nginxPath === undefined ? undefined : await checkout.read(nginxPath);
  let nginx: AuditContext["nginx"];
  if (nginxText !== undefined) {
    try {
      nginx = { file: nginxText.file, directives: parseNginxConf(nginxText.text) };
    } catch (error) {
      nginx = {
        file: nginxText.file,
        directives: undefined,
        error: error instanceof NginxParseError ? error.message : String(error),
      };
    }
  }
  const prometheus = prometheusPath === undefined ? undefined : await checkout.yaml(prometheusPath);
  const alertmanager = alertmanagerPath === undefined ? undefined : await checkout.yaml(alertmanagerPath);
  const rulePaths =
    mounts.fromCompose("prometheus").length > 0
      ? ruleFiles(prometheus, (p) => mounts.from("prometheus", p), checkout.files)
      : profile.monitoring.rules.filter((f) => checkout.has(f));
  const rules = (await Promise.all(rulePaths.map((f) => checkout.yaml(f)))).filter((y) => y !== undefined);

  return { nginx, prometheus, rules, alertmanager };
}

/** The path a service's command names with --config.file=, else the one its image reads. */
function configPathOf(
  model: ComposeModel | undefined,
  profile: Profile,
  role: "prometheus" | "alertmanager",
): string {
  const command = model?.services.get(composeServiceFor(profile, role) ?? "")?.command ?? [];
  return (
    command.find((w) => w.startsWith("--config.file="))?.slice("--config.file=".length) ?? CONFIG_PATHS[role]
  );
}

/** nginx -t, promtool, amtool and shellcheck, each in its own container, at once. */
async function runServiceValidators(
  reading: CheckoutReading,
  configs: ServiceConfigs,
  model: ComposeModel | undefined,
  mounts: ServiceMounts,
  ref: (service: Service) => string,
): Promise<Map<string, ToolRun>> {
  const { checkout, profile, updateScript } = reading;
  const { nginx, prometheus, rules, alertmanager } = configs;
  const dir = checkout.dir;
  const configPath = (role: "prometheus" | "alertmanager") => configPathOf(model, profile, role);
  const absolute = (role: RunbookService) =>
    mounts.all(role).map((m) => ({ source: path.join(dir, m.source), target: m.target }));
  // nginx resolves upstream names at start: the services the documented order starts resolve, as on the project network.
  const documented =
    model === undefined
      ? new Set<string>()
      : startedBy(
          model,
          runbook().composeUp.services.flatMap((r) => composeServiceFor(profile, r) ?? []),
        );
  const toolRuns: [string, Promise<ToolRun>][] = [];
  if (nginx !== undefined)
    toolRuns.push([
      "nginx",
      runValidator("nginx", {
        image: ref("nginx"),
        mounts: absolute("frontend"),
        entrypoint: "nginx",
        command: ["-t"],
        addHosts: [...documented].map((s) => `${s}:127.0.0.1`),
      }),
    ]);
  if (prometheus !== undefined) {
    // With compose's mounts, promtool sees the rule files where Prometheus does; with stand-ins, it
    // checks the configuration's syntax, and the rule files on their own.
    const standIn = mounts.isStandIn("prometheus");
    const ruleTargets = rules.map((rule) => `/check/rules/${path.basename(rule.file)}`);
    if (standIn)
      for (const [i, rule] of rules.entries()) mounts.standIn("prometheus", rule.file, ruleTargets[i] ?? "");
    const promtool = (command: string[]) =>
      runValidator("promtool", {
        image: ref("prometheus"),
        mounts: absolute("prometheus"),
        entrypoint: "promtool",
        command,
      });
    toolRuns.push([
      "promtool",
      promtool(["check", "config", ...(standIn ? ["--syntax-only"] : []), configPath("prometheus")]),
    ]);
    if (standIn && rules.length > 0)
      toolRuns.push(["promtool-rules", promtool(["check", "rules", ...ruleTargets])]);
  }
  if (alertmanager !== undefined)
    toolRuns.push([
      "amtool",
      runValidator("amtool", {
        image: ref("alertmanager"),
        mounts: absolute("alertmanager"),
        entrypoint: "amtool",
        command: ["check-config", configPath("alertmanager")],
      }),
    ]);
  if (updateScript !== undefined) {
    const inContainer = `/check/${path.basename(updateScript.file)}`;
    toolRuns.push([
      "shellcheck",
      runValidator("shellcheck", {
        image: ref("shellcheck"),
        mounts: [{ source: path.join(dir, updateScript.file), target: inContainer }],
        command: ["-f", "json1", "-S", "style", inContainer],
      }),
    ]);
  }
  return new Map(await Promise.all(toolRuns.map(async ([tool, run]) => [tool, await run] as const)));
}

/** What the checks read besides configuration: the Dockerfiles compose builds, env examples, the root .env's names. */
async function checkoutFacts(
  reading: CheckoutReading,
  model: ComposeModel | undefined,
): Promise<Pick<AuditContext, "dockerfiles" | "envExamples" | "rootEnv">> {
  const { checkout, profile } = reading;
  const dockerfiles = new Map<string, string>();
  for (const service of model?.services.values() ?? []) {
    if (service.build === undefined) continue;
    const file = checkout.fromHost(path.posix.join(service.build.context, service.build.dockerfile));
    const text = file === undefined ? undefined : await checkout.read(file);
    if (file !== undefined && text !== undefined) dockerfiles.set(file, text.text);
  }
  const envExamples = new Map<string, string[]>();
  const exampleFiles = new Set([
    ...checkout.files.filter((f) =>
      /(^|\/)(\.env\.(example|sample|dist|template|tmpl)|example\.env)$/.test(f),
    ),
    ...profile.env.flatMap((e) => e.example ?? []),
  ]);
  for (const file of exampleFiles) {
    const text = await checkout.read(file);
    if (text === undefined) continue;
    const declared = profile.env.find((e) => e.example === file)?.needs ?? [];
    envExamples.set(file, [
      ...new Set([
        ...parseEnvFile(text.text)
          .filter((v) => !v.hasValue)
          .map((v) => v.name),
        ...declared,
      ]),
    ]);
  }
  const rootEnv = new Set(parseEnvFile((await checkout.read(".env"))?.text ?? "").map((v) => v.name));
  return { dockerfiles, envExamples, rootEnv };
}

/** The checkout files Prometheus' rule_files name, through its mounts (globs matched against the checkout). */
function ruleFiles(
  prometheus: YamlFile | undefined,
  mounted: (containerPath: string) => string | undefined,
  files: readonly string[],
): string[] {
  const declared = (prometheus?.data as { rule_files?: unknown } | undefined)?.rule_files;
  if (!Array.isArray(declared)) return [];
  return declared.map(String).flatMap((pattern) => {
    if (!pattern.includes("*")) {
      const file = mounted(pattern);
      return file === undefined || !files.includes(file) ? [] : [file];
    }
    const dir = mounted(path.posix.dirname(pattern));
    if (dir === undefined) return [];
    const glob = path.posix
      .basename(pattern)
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", "[^/]*");
    return files.filter((f) => path.dirname(f) === dir && new RegExp(`^${glob}$`).test(path.basename(f)));
  });
}
