import { randomBytes } from "node:crypto";
import { rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { execa } from "execa";
import { audit } from "../audit/audit.ts";
import { auditDocument, writeAuditReport } from "../audit/audit-report.ts";
import { clean } from "../docker/clean.ts";
import {
  allFindings,
  describeSeverityCounts,
  findingLocation,
  findingsExitCode,
  type Finding,
} from "../findings/finding.ts";
import { annotateFindings } from "../findings/github.ts";
import { renderFindingsText } from "../findings/text.ts";
import { PROFILE_FILE } from "../profile/profile.ts";
import { profileJson, proposeProfile } from "../profile/init.ts";
import { findingsOfRecords, readFindingsRecords, writeFindingsRecord } from "../report/findings-record.ts";
import { addToJobSummary } from "../report/job-summary.ts";
import { currentOwner, Label } from "../docker/labels.ts";
import { teardownOnSignal } from "../lifecycle/teardown-on-signal.ts";
import { listVmTemplates, removeVmTemplates } from "../targets/vagrant/vm-template.ts";
import { cleanVms, vmLogin, vmNames } from "../targets/vagrant/vagrant-target.ts";
import { commandHelp, packageVersion, usage } from "./help.ts";
import { preflightChecks } from "../preflight/checks.ts";
import { assertPreflight, describePreflight, runPreflight } from "../preflight/preflight.ts";
import { vagrantCommand } from "./vagrant-command.ts";
import { assertDockerRunning, docker } from "../docker/docker-cli.ts";
import { EnvironmentError, ExitCode, oneOf, UsageError } from "../errors.ts";
import { CATALOGUE, parseImageMode, parseService, SERVICES, type ImageMode } from "../images/catalogue.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { RunEnv, targetOptionsToEnv } from "../scenario/run-env.ts";
import { journalFile, reportDir } from "../scenario/report-dir.ts";
import type { Verdict } from "../chaos/verdict.ts";
import { whyNotPassed } from "../report/run-summary.ts";
import type { CurrentJournal } from "../report/journal.ts";
import { faultDifferences, readReplayableJournal, stackCommit } from "../scenario/replay.ts";
import {
  listScenarios,
  listTests,
  READ_ONLY,
  runScenarios,
  type ScenarioRun,
} from "../scenario/run-scenarios.ts";
import {
  countTests,
  failingTests,
  RUN_RESULTS_VERSION,
  RunResultsSchema,
  STATUS_OF_EXIT,
  type RunResults,
} from "../results/run-results.ts";
import { checkMetricsFile, renderMetrics } from "../results/metrics.ts";
import { scenarioList, ScenarioListSchema } from "../results/scenario-list.ts";
import { secondsSince } from "../format.ts";
import { HOST_PORTS, STACK_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { KEPT_HOST_NAME, KeptContainerTarget } from "../targets/container/kept-container-target.ts";
import { once, type FaultPermission } from "../host/host.ts";
import { defaultJobs, parseJobs, thisMachine } from "../scenario/jobs.ts";
import { HostTemplate } from "../targets/container/host-template.ts";
import { describeRunbook } from "../runbook/runbook.ts";
import { SshHost } from "../targets/ssh/ssh-host.ts";
import type { Target } from "../targets/target.ts";
import { createTarget, type TargetOptions } from "../targets/targets.ts";

const log = (line: string) => process.stderr.write(`${line}\n`);

function parse<const T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true } as const);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${usage()}`);
  }
}

const modeOption = { mode: { type: "string", default: "offline" } } as const;
const runbookOption = { runbook: { type: "string" } } as const;

async function images(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parse(rest, modeOption);
  const mode = parseImageMode(values.mode);
  if (action === "list") {
    for (const service of SERVICES) {
      const source = CATALOGUE[service][mode];
      const how =
        source.kind === "pull"
          ? `pull ${source.ref}`
          : source.kind === "build"
            ? `build fixtures/images/${source.recipe}`
            : `skipped: ${source.reason}`;
      process.stdout.write(`${service.padEnd(13)} ${how}\n`);
    }
    await assertDockerRunning();
    const [templates, vmTemplates] = await Promise.all([HostTemplate.list(), listVmTemplates()]);
    process.stdout.write(
      templates.length + vmTemplates.length === 0
        ? "host templates: none yet (the first host builds one)\n"
        : `host templates (removed by \`clean --all\`):\n${[
            ...templates.map(
              (t) => `  ${t.key}  ${t.kind.padEnd(11)} volume ${t.volume}, made ${t.createdAt}`,
            ),
            ...vmTemplates.map((t) => `  ${t.key}  ${"vm".padEnd(11)} Vagrant box ${t.box}`),
          ]
            .map((line) => `${line}\n`)
            .join("")}`,
    );
    return ExitCode.passed;
  }
  if (action !== "build")
    throw new UsageError(
      `unknown images action "${action ?? ""}": expected build or list\n\n${commandHelp("images")}`,
    );
  const services = positionals.length === 0 ? SERVICES : positionals.map(parseService);
  log(`images (${mode}): ${services.length} to check`);
  const started = performance.now();
  await ensureImages({ mode, services, progress: log });
  log(`images ready in ${secondsSince(started)}`);
  return ExitCode.passed;
}

/**
 * Brings a host up with the stack deployed and started in the documented order, and leaves it up for
 * incident work: `shell` into it, `run SCENARIO --target NAME` against it again and again, `down` it.
 */
async function up(args: string[]): Promise<number> {
  const { values } = parse(args, {
    target: { type: "string", default: "container" },
    stack: { type: "string", default: BUNDLED_STACK },
    ...runbookOption,
    ...modeOption,
  });
  const target = createTarget(values.target);
  if (target.provenance === "existing" || target instanceof KeptContainerTarget) {
    throw new UsageError(
      `up makes a host; --target ${values.target} is an existing one: use run or gate on it`,
    );
  }
  const source = await openStackDir(values.stack, { runbook: values.runbook });
  const mode = parseImageMode(values.mode);
  await preflight(target, mode, "up");
  const images = await ensureImages({ mode, progress: log });
  const host = await target.start({
    imageMode: mode,
    images: imagesForHostEngine(images),
    ports: HOST_PORTS,
    keep: true,
    provisioning: await Stack.provisioning(source, images),
    progress: log,
  });
  const stack = new Stack(host, source, images);
  await stack.start("readiness", log);
  process.stdout.write(`${host.name}\n`);
  // Forwards over this process's SSH connection end with it: a VM is reached at its own address.
  const ports =
    host instanceof SshHost
      ? STACK_PORTS.map((port) => `http://${host.connection.address.hostname}:${port}`)
      : STACK_PORTS.map((port) => `${port} -> ${host.url(port)}`);
  log(`host ${host.name} is up with the stack started; ports: ${ports.join(", ")}`);
  // A container host records its checkout (Label.stack); a VM is found again by --keep, not by name.
  const onStack = source.dir === path.resolve(BUNDLED_STACK) ? "" : ` --stack ${source.dir}`;
  const rerun = host instanceof SshHost ? `--target vagrant --keep${onStack}` : `--target ${host.name}`;
  log(`rerun a scenario on it: npx sattva-chaos run SCENARIO ${rerun}`);
  log(`shell: npx sattva-chaos shell ${host.name}    remove: npx sattva-chaos down ${host.name}`);
  if (host instanceof SshHost) await host.connection.close();
  return ExitCode.passed;
}

/** Host containers left up by `up` or `--keep`, running or not. */
async function keptContainers(): Promise<string[]> {
  const listed = await docker([
    ...["ps", "-a", "--filter", `label=${Label.managed}=true`, "--filter", `label=${Label.keep}=true`],
    ...["--format", "{{.Names}}"],
  ]);
  return listed.stdout.split("\n").filter((line) => line !== "" && KEPT_HOST_NAME.test(line));
}

/** Hosts left up by `up` or `--keep`: containers and VMs. */
async function keptHosts(): Promise<string[]> {
  const [containers, vms] = await Promise.all([keptContainers(), vmNames({ kept: true })]);
  return [...containers, ...vms];
}

/**
 * Removes hosts left up by `up` or `--keep`: those named, or all of them; never a host a live run uses
 * (a name that is not a kept host is refused, naming the ones there are).
 */
async function down(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  await assertDockerRunning();
  if (positionals.length > 0) {
    const kept = await keptHosts();
    const unknown = positionals.filter((name) => !kept.includes(name));
    if (unknown.length > 0)
      throw new UsageError(
        `down ${unknown.join(" ")}: expected the name of a host left up by \`up\` or --keep; ` +
          (kept.length === 0 ? "there is none" : `there are ${kept.join(", ")}`),
      );
  }
  const removed =
    positionals.length === 0
      ? [await clean({ kept: true })]
      : await Promise.all(positionals.map((host) => clean({ host })));
  const vms = await cleanVms(positionals.length === 0 ? { kept: true } : { names: positionals });
  const hosts = [...removed.flatMap((report) => report.containers), ...vms];
  log(hosts.length === 0 ? "no host to remove" : `removed ${hosts.join(", ")}`);
  return ExitCode.passed;
}

/**
 * A root shell on a host left up by `up` or `--keep` (container or VM), or one command there after
 * `--`: the way into a host for incident work. Exits with the shell's exit code.
 */
async function shell(args: string[]): Promise<number> {
  const split = args.indexOf("--");
  const { positionals } = parse(split === -1 ? args : args.slice(0, split), {});
  const command = split === -1 ? [] : args.slice(split + 1);
  const [name] = positionals;
  await assertDockerRunning();
  const [containers, vms] = await Promise.all([keptContainers(), vmNames()]);
  if (name === undefined || positionals.length > 1 || (!containers.includes(name) && !vms.includes(name))) {
    const hosts = [...containers, ...vms];
    throw new UsageError(
      `shell needs the name of one host left up by \`up\` or --keep${name === undefined ? "" : ` (got "${positionals.join(" ")}")`}: ` +
        (hosts.length === 0
          ? "there is none; start one with `sattva-chaos up`"
          : `expected one of ${hosts.join(", ")}`),
    );
  }
  const argv = containers.includes(name)
    ? [
        "docker",
        "exec",
        ...(process.stdin.isTTY ? ["-it"] : ["-i"]),
        name,
        ...(command.length === 0 ? ["bash", "-l"] : command),
      ]
    : ["ssh", ...((await vmLogin(name, command)) ?? [])];
  const [file = "", ...rest] = argv;
  const child = await execa(file, rest, { stdio: "inherit", reject: false });
  return child.exitCode ?? ExitCode.usageOrEnvironment;
}

async function cleanCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { all: { type: "boolean", default: false } });
  await assertDockerRunning();
  const report = {
    ...(await clean({ all: values.all, templates: values.all })),
    vms: await cleanVms({ all: values.all }),
    "vm templates": values.all ? await removeVmTemplates(await listVmTemplates()) : [],
  };
  for (const [kind, names] of Object.entries(report)) {
    log(`${kind}: ${names.length === 0 ? "none left" : `removed ${names.join(", ")}`}`);
  }
  return ExitCode.passed;
}

const targetOptions = {
  target: { type: "string", default: "container" },
  "ssh-key": { type: "string" },
  "ssh-known-hosts": { type: "string" },
  "ssh-accept-new": { type: "boolean", default: false },
} as const;

/** The target of `--target` with its options, checked (what it needs on this machine: preflight). */
function chosenTarget(values: {
  target: string;
  "ssh-key"?: string | undefined;
  "ssh-known-hosts"?: string | undefined;
  "ssh-accept-new"?: boolean | undefined;
  "allow-destructive"?: boolean | undefined;
}): { target: Target; options: TargetOptions } {
  const options: TargetOptions = {
    ...(values["ssh-key"] === undefined ? {} : { key: path.resolve(values["ssh-key"]) }),
    ...(values["ssh-known-hosts"] === undefined
      ? {}
      : { knownHosts: path.resolve(values["ssh-known-hosts"]) }),
    acceptNewHostKey: values["ssh-accept-new"] === true,
    allowDestructive: values["allow-destructive"] === true,
  };
  const target = createTarget(values.target, options);
  return { target, options };
}

/**
 * The checkout to deploy: on a kept host, the one it was provisioned with (`--stack` may name only
 * that one; two stacks on one host would fight over its ports); elsewhere `planned`.
 */
async function stackOnTarget(target: Target, planned: string, given: string | undefined): Promise<string> {
  if (!(target instanceof KeptContainerTarget)) return planned;
  const holds = await target.checkout();
  if (holds === undefined) return planned;
  if (given !== undefined && path.resolve(given) !== holds)
    throw new UsageError(
      `the checkout ${given} cannot run on ${target.name}: the host holds ${holds} (deploying another beside it would run two stacks on one host); run without --stack, or \`up\` a host for ${given}`,
    );
  if (given === undefined && holds !== path.resolve(planned))
    log(`host ${target.name} holds the checkout ${holds}: running on it`);
  return holds;
}

/**
 * Checks, in seconds, what a target that makes hosts needs on this machine, and stops (exit 3) naming
 * what is missing and how to fix it, before any work; warnings are printed and the command goes on.
 * An existing host is checked by connecting to it (connectOnce).
 */
async function preflight(target: Target, mode: ImageMode, command: string): Promise<void> {
  if (target.provenance === "existing") return;
  const results = await runPreflight(preflightChecks(target, mode));
  for (const warning of results.filter((r) => r.status === "warning"))
    log(`preflight: ${describePreflight([warning])}`);
  assertPreflight(results, command);
}

/** `doctor`: every check a target needs, one line each, with the fix; exit 3 if something is missing. */
async function doctor(args: string[]): Promise<number> {
  const { values } = parse(args, { ...targetOptions, ...modeOption });
  const { target } = chosenTarget(values);
  const mode = parseImageMode(values.mode);
  log(
    `doctor: what the ${target.name} target needs${target.provenance === "made" ? ` (${mode} images)` : ""}`,
  );
  const results = await runPreflight(preflightChecks(target, mode));
  process.stdout.write(`${describePreflight(results)}\n`);
  const missing = results.filter((r) => r.status === "missing").length;
  log(missing === 0 ? "doctor: nothing missing" : `doctor: ${missing} missing`);
  return missing === 0 ? ExitCode.passed : ExitCode.usageOrEnvironment;
}

/**
 * Connects to an existing host once before vitest starts, so a bad key, an unknown host key or an
 * unreachable host is a usage/environment error (exit 3), not a failed test; returns its fault permission.
 */
async function connectOnce(target: Target): Promise<FaultPermission> {
  const host = await target.start({ progress: log });
  await host.dispose();
  return host.faults;
}

/**
 * On an existing host, refuses up front (exit 3) a run that would inject faults there without both
 * keys turned, naming the destructive tests; the scenario fixtures refuse again, test by test.
 */
async function refuseFaultsWithoutLeave(target: Target, scenarios: readonly string[]): Promise<void> {
  if (target.provenance !== "existing") return;
  const faults = await connectOnce(target);
  if (faults.allowed) return;
  const destructive = await listTests(scenarios, `!${READ_ONLY}`);
  if (destructive.length === 0) return;
  throw new UsageError(
    `${faults.reason}\n\nthese tests inject faults:\n${destructive.map((t) => `  ${t}`).join("\n")}\n` +
      `run only the read-only ones with \`sattva-chaos gate --target ${target.name}\``,
  );
}

function runEnv(
  target: Target,
  options: TargetOptions,
  values: { stack: string; mode: string; report?: string | undefined; runbook?: string | undefined },
): Record<string, string> {
  return {
    [RunEnv.target]: target.name,
    [RunEnv.stack]: values.stack,
    ...(values.runbook === undefined ? {} : { [RunEnv.runbook]: path.resolve(values.runbook) }),
    [RunEnv.imageMode]: values.mode,
    ...targetOptionsToEnv(options),
    ...(values.report === undefined ? {} : { [RunEnv.reportDir]: path.resolve(values.report) }),
    // The one setting of the command line read from its environment (for figures), passed on as such.
    ...(process.env[RunEnv.templates] === "off" ? { [RunEnv.templates]: "off" } : {}),
  };
}

/** What to run and where: from the command line, or from the journal `--replay` names. */
interface RunPlan {
  readonly scenarios: readonly string[];
  readonly grep: string | undefined;
  readonly target: string;
  readonly stack: string;
  readonly mode: string;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    ...targetOptions,
    target: { type: "string" },
    "allow-destructive": { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    stack: { type: "string" },
    ...runbookOption,
    grep: { type: "string" },
    report: { type: "string" },
    replay: { type: "string" },
    mode: { type: "string" },
    jobs: { type: "string" },
    json: { type: "boolean", default: false },
    metrics: { type: "string" },
  });
  checkMetricsFile(values.metrics);
  const journal = values.replay === undefined ? undefined : await readReplayableJournal(values.replay);
  let plan: RunPlan;
  if (journal === undefined) {
    const available = await listScenarios();
    plan = {
      scenarios:
        positionals.length === 0 ? available : positionals.map((name) => oneOf("scenario", name, available)),
      grep: values.grep,
      target: values.target ?? "container",
      stack: values.stack ?? BUNDLED_STACK,
      mode: values.mode ?? "offline",
    };
  } else {
    const given = [
      ...positionals,
      ...(["grep", "target", "stack", "mode"] as const).flatMap((o) =>
        values[o] === undefined ? [] : [`--${o}`],
      ),
    ];
    if (given.length > 0)
      throw new UsageError(
        `--replay runs the journal's scenario and test on its target, stack and image mode; drop ${given.join(" ")}`,
      );
    const { replay } = journal;
    plan = {
      scenarios: [replay.scenario],
      grep: replay.test,
      target: replay.target,
      stack: replay.stack,
      mode: replay.imageMode,
    };
    log(`replaying ${values.replay}: ${replay.scenario} > ${replay.test}`);
    const commitNow = await stackCommit(replay.stack);
    if (commitNow !== replay.stackCommit)
      log(
        `note: the stack at ${replay.stack} is now at ${commitNow ?? "no commit"}, the journal's run was at ${replay.stackCommit ?? "no commit"}`,
      );
  }
  // A --grep that matches nothing would pass with every test skipped: said before any host is made.
  if (plan.grep !== undefined && (await listTests(plan.scenarios, undefined, plan.grep)).length === 0)
    throw new UsageError(
      journal === undefined
        ? `--grep "${plan.grep}" matches no test of ${plan.scenarios.join(", ")}: it is matched as plain text in the tests' names`
        : `the journal's test "${plan.grep}" is no longer one of ${plan.scenarios.join(", ")}'s tests (renamed or removed since): nothing to replay`,
    );
  const mode = parseImageMode(plan.mode);
  const { target, options } = chosenTarget({ ...values, target: plan.target });
  const given = journal === undefined ? values.stack : plan.stack;
  const stack = await openStackDir(await stackOnTarget(target, plan.stack, given), {
    runbook: values.runbook,
  });
  await preflight(target, mode, "run");
  const jobs = jobsFor(target, values.jobs, plan.scenarios.length);
  await refuseFaultsWithoutLeave(target, plan.scenarios);
  log(
    `run ${plan.scenarios.join(" ")} on ${target.name} (stack ${stack.dir}, runbook ${describeRunbook()}, images ${mode})`,
  );
  // Said before the run: otherwise the first word of it is an inconclusive test, minutes in.
  if (target.provenance === "made")
    for (const [role, client] of stack.deployment.telegramClients)
      log(
        `note: ${stack.deployment.unit(role)} needs Telegram (${client}); a test host has no Telegram account: once it fails there, its checks are skipped and the tests acting on it inconclusive, naming this`,
      );
  const env = runEnv(target, options, {
    mode,
    report: values.report,
    stack: stack.dir,
    runbook: values.runbook,
  });
  const runStarted = Date.now();
  // The checkout the run deploys is audited first: what it lacks is named, and the run goes on.
  const blockers =
    journal === undefined && target.provenance === "made" && !(target instanceof KeptContainerTarget)
      ? await auditBeforeRun(stack.dir, values.runbook, mode, env[RunEnv.reportDir] ?? reportDir())
      : [];
  if (values.keep) env[RunEnv.keep] = "true";
  env[RunEnv.jobs] = String(jobs);
  const runId = randomBytes(6).toString("hex");
  env[RunEnv.runId] = runId;
  env[RunEnv.runOwner] = currentOwner();
  // Once: a signal's teardown and the `finally` below (reached as the signalled scenarios exit) both
  // call it, and two VM teardowns at once raced each other and left libvirt half removed.
  const endRun = once(async () => {
    if (!values.keep) await target.endRun?.(runId);
  });
  const unregister = teardownOnSignal(endRun);
  let scenarioRun: ScenarioRun;
  try {
    scenarioRun = await runScenarios(plan.scenarios, plan.grep, env, {
      startedAt: runStarted,
      quiet: values.json,
      blockers: blockers.length,
    });
  } finally {
    unregister();
    await endRun();
  }
  if (journal !== undefined) await compareReplay(journal, env[RunEnv.reportDir] ?? reportDir());
  if (blockers.length > 0)
    log(
      `the checkout ${stack.dir} has ${blockers.length} blocker(s):\n${blockers.map((b) => `  ${describeBlocker(b)}`).join("\n")}`,
    );
  const status = scenarioRun.exitCode;
  const blocking = [...failingTests(scenarioRun.tests), ...blockers.map(describeBlocker)];
  await publishResults(
    "run",
    scenarioRun,
    { target: target.name, startedMs: runStarted, status, blocking },
    values,
  );
  return status;
}

/**
 * The run's results document, checked against its schema: on stdout with `--json`, as metrics in
 * `--metrics FILE` (the node exporter's textfile format).
 */
async function publishResults(
  command: RunResults["command"],
  scenarioRun: ScenarioRun,
  run: {
    readonly target: string;
    readonly startedMs: number;
    readonly status: number;
    readonly blocking: readonly string[];
    readonly ready?: boolean;
  },
  outputs: { readonly json: boolean; readonly metrics?: string | undefined },
): Promise<void> {
  if (!outputs.json && outputs.metrics === undefined) return;
  const findings = await readFindingsRecords(path.join(scenarioRun.reportDir, "findings"), run.startedMs);
  const document = RunResultsSchema.parse({
    schemaVersion: RUN_RESULTS_VERSION,
    command,
    status: STATUS_OF_EXIT[run.status] ?? "failed",
    exitCode: run.status,
    ...(run.ready === undefined ? {} : { ready: run.ready }),
    blocking: [...run.blocking],
    target: run.target,
    startedAt: new Date(run.startedMs).toISOString(),
    durationMs: Date.now() - run.startedMs,
    counts: countTests(scenarioRun.tests),
    tests: [...scenarioRun.tests],
    findings: findings.map((record) => ({ source: record.source, findings: record.findings })),
    reports: scenarioRun.reports,
  } satisfies RunResults);
  if (outputs.metrics !== undefined) {
    // Written whole, then renamed: the textfile collector never reads half a file.
    const file = path.resolve(outputs.metrics);
    await writeFile(`${file}.tmp`, renderMetrics(document));
    await rename(`${file}.tmp`, file);
    log(`metrics: ${file}`);
  }
  if (outputs.json) process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

/**
 * Scenario files at once: `--jobs`, or what this machine has room for. Only where every file gets a
 * host of its own (the container target); a VM is shared by a run's files, and an existing host is one.
 */
function jobsFor(target: Target, given: string | undefined, files: number): number {
  const ownHostPerFile = target.name === "container";
  const jobs = given === undefined ? undefined : parseJobs(given);
  if (ownHostPerFile) return jobs ?? defaultJobs(thisMachine(), files);
  if (jobs !== undefined && jobs > 1)
    throw new UsageError(
      `--jobs ${jobs}: the ${target.name} target runs a run's scenario files on one host, one after another; expected 1 (or no --jobs)`,
    );
  return 1;
}

/** One line for a blocker: its check, where, and what was observed. */
function describeBlocker(finding: Finding): string {
  return `${finding.id} ${findingLocation(finding)}: ${finding.observed}`;
}

/**
 * The static audit of the checkout a run deploys: its findings go to the run's report (a findings
 * record, written since the run began), and its blockers are returned to make the run fail.
 */
async function auditBeforeRun(
  stack: string,
  runbook: string | undefined,
  mode: ImageMode,
  reports: string,
): Promise<Finding[]> {
  const result = await audit({ stack, runbook, mode });
  const findings = allFindings(result.outcomes);
  annotateFindings(findings, result.checkout.dir, process.stderr);
  await writeFindingsRecord(
    path.join(reports, "findings"),
    "static-audit",
    `static audit of ${stack}`,
    findings,
  );
  const blockers = findings.filter((f) => f.severity === "blocker");
  log(
    `static audit of ${stack}: ${describeSeverityCounts(findings)} (\`sattva-chaos audit --stack ${stack}\` explains each)`,
  );
  for (const blocker of blockers) log(`  blocker ${describeBlocker(blocker)}`);
  return blockers;
}

/** Says whether the replay ended as the journal's run did: the same verdict and cause, the same faults. */
async function compareReplay(original: CurrentJournal, reports: string): Promise<void> {
  const { scenario, test } = original.replay;
  const replayed = await readReplayableJournal(journalFile(scenario, test, reports)).catch(() => undefined);
  if (replayed === undefined) {
    log(`replay: no journal was written for ${scenario} > ${test} (did the test run?)`);
    return;
  }
  const said = (verdict: Verdict) => {
    const why = whyNotPassed(verdict)?.split("\n")[0];
    return why === undefined ? verdict.status : `${verdict.status}: ${why}`;
  };
  const [before, after] = [said(original.verdict), said(replayed.verdict)];
  log(
    before === after
      ? `replay: the same verdict: ${after}`
      : `replay: a different verdict: the journal's run ${before}; this run ${after}`,
  );
  for (const difference of faultDifferences(original.faults, replayed.faults))
    log(`replay: faults differ: ${difference}`);
}

/**
 * The release gate: the read-only suite against the host about to take a rollout. Exit 0 means
 * ready; otherwise the exit code says why (1 a check failed, 2 inconclusive) and a summary names
 * what blocks the release. JUnit lands in the report directory for CI.
 */
async function gate(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...targetOptions,
    target: { type: "string" },
    stack: { type: "string" },
    ...runbookOption,
    report: { type: "string" },
    json: { type: "boolean", default: false },
    metrics: { type: "string" },
    ...modeOption,
  });
  checkMetricsFile(values.metrics);
  if (values.target === undefined) {
    throw new UsageError(
      `gate needs --target: the host to gate, e.g. --target ssh://deploy@staging\n\n${commandHelp("gate")}`,
    );
  }
  const { target, options } = chosenTarget({ ...values, target: values.target });
  const stack = await openStackDir(await stackOnTarget(target, values.stack ?? BUNDLED_STACK, values.stack), {
    runbook: values.runbook,
  });
  await preflight(target, parseImageMode(values.mode), "gate");
  if (target.provenance === "existing") await connectOnce(target);
  const env = runEnv(target, options, { ...values, stack: stack.dir });
  log(`release gate on ${target.name}: the read-only suite`);
  const startedMs = Date.now();
  const scenarioRun = await runScenarios(await listScenarios(), undefined, env, {
    tagsFilter: READ_ONLY,
    quiet: values.json,
  });
  const report = env[RunEnv.reportDir] ?? reportDir();
  const junit = path.join(report, "junit.xml");
  // A blocker the suite found (the exposure audit's backend past nginx, say) blocks the release even
  // where the test that found it passes: it is the runbook's own flaw, not this host's drift.
  const blockers = findingsOfRecords(
    await readFindingsRecords(path.join(report, "findings"), startedMs),
  ).filter((finding) => finding.severity === "blocker");
  annotateFindings(blockers, stack.dir, process.stderr);
  const reasons = [
    ...failingTests(scenarioRun.tests),
    ...blockers.map((finding) => `${finding.id} ${finding.subject}: ${finding.observed}`),
  ];
  const ready = scenarioRun.exitCode === ExitCode.passed && reasons.length === 0;
  const status = ready || scenarioRun.exitCode !== ExitCode.passed ? scenarioRun.exitCode : ExitCode.failed;
  const say = (text: string) => (values.json ? process.stderr : process.stdout).write(text);
  if (ready) say(`READY: ${target.name} passed the read-only suite (JUnit: ${junit})\n`);
  else
    say(
      `NOT READY: ${target.name}; ${reasons.length} check(s) block the release (JUnit: ${junit})\n` +
        reasons.map((reason) => `  - ${reason}\n`).join(""),
    );
  await publishResults(
    "gate",
    scenarioRun,
    { target: target.name, startedMs, status, blocking: reasons, ready },
    values,
  );
  return status;
}

async function list(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: "boolean", default: false } });
  const scenarios = await listScenarios();
  if (!values.json) {
    for (const scenario of scenarios) process.stdout.write(`${scenario}\n`);
    return ExitCode.passed;
  }
  const [tests, readOnly] = await Promise.all([listTests(scenarios), listTests(scenarios, READ_ONLY)]);
  const document = ScenarioListSchema.parse(scenarioList(scenarios, tests, readOnly));
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  return ExitCode.passed;
}

/** The static audit: the checkout against its runbook, in seconds, with no host. */
async function auditCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    stack: { type: "string", default: BUNDLED_STACK },
    ...runbookOption,
    json: { type: "boolean", default: false },
    report: { type: "string" },
    ...modeOption,
  });
  const result = await audit({
    stack: values.stack,
    runbook: values.runbook,
    mode: parseImageMode(values.mode),
    progress: log,
  });
  const findings = allFindings(result.outcomes);
  annotateFindings(findings, result.checkout.dir, values.json ? process.stderr : process.stdout);
  if (values.json) process.stdout.write(`${JSON.stringify(auditDocument(result), null, 2)}\n`);
  else if (findings.length > 0) process.stdout.write(`${renderFindingsText(findings)}\n\n`);
  const { checkout } = result;
  for (const looked of checkout.lookedFor.filter((l) => l.found !== undefined || !checkout.has(l.path)))
    log(
      `looked for ${looked.what} at ${looked.path}: ${looked.found === undefined ? "not found" : `found at ${looked.found}`}`,
    );
  if (values.report !== undefined) {
    const written = await writeAuditReport(path.resolve(values.report), result);
    const summary = written.find((file) => file.endsWith("summary.md"));
    if (summary !== undefined) await addToJobSummary(summary);
    log(`report: ${written.join(", ")}`);
  }
  log(
    `audit of ${checkout.dir} (${checkout.profileFile === undefined ? "no profile: the runbook's layout" : `profile ${checkout.profileFile}`}; runbook ${describeRunbook()}): ` +
      `${describeSeverityCounts(findings)} from ${result.outcomes.length} checks in ${(result.durationMs / 1000).toFixed(1)}s`,
  );
  return findingsExitCode(findings);
}

/** Writes a profile proposed from the checkout's contents; an existing one is kept unless --force. */
async function initCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    stack: { type: "string", default: "." },
    force: { type: "boolean", default: false },
  });
  const dir = path.resolve(values.stack);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new UsageError(
      `--stack ${values.stack}: no such directory (expected a checkout of the deployment)`,
    );
  const file = path.join(dir, PROFILE_FILE);
  if (!values.force && (await stat(file).catch(() => undefined)) !== undefined)
    throw new UsageError(`${file} exists: expected no profile yet (pass --force to replace it)`);
  const proposed = await proposeProfile(dir);
  await writeFile(file, profileJson(proposed));
  for (const inference of proposed.inferences)
    log(`${inference.guessed ? "guessed" : "found  "}  ${inference.key}: ${inference.why}`);
  for (const what of proposed.missing) log(`missing  ${what}`);
  log(
    `wrote ${file}: check each guess (listed under "guessed"), then run \`sattva-chaos audit --stack ${values.stack}\``,
  );
  process.stdout.write(`${file}\n`);
  return ExitCode.passed;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  run,
  audit: auditCommand,
  init: initCommand,
  gate,
  vagrant: vagrantCommand,
  list,
  images,
  up,
  down,
  shell,
  clean: cleanCommand,
  doctor,
};

/** Whether the arguments ask for help (before a `--`, after which they are a command's own). */
function asksForHelp(args: readonly string[]): boolean {
  const own = args.includes("--") ? args.slice(0, args.indexOf("--")) : args;
  return own.includes("--help") || own.includes("-h");
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === "--version" || command === "-V") {
    process.stdout.write(`${packageVersion()}\n`);
    return ExitCode.passed;
  }
  if (command === "help" || command === "--help" || command === "-h") {
    const about = args[0];
    process.stdout.write(`${about !== undefined && about in COMMANDS ? commandHelp(about) : usage()}\n`);
    return ExitCode.passed;
  }
  if (command === undefined) {
    log(`sattva-chaos: no command given\n\n${usage()}`);
    return ExitCode.usageOrEnvironment;
  }
  if (command in COMMANDS && asksForHelp(args)) {
    process.stdout.write(`${commandHelp(command)}\n`);
    return ExitCode.passed;
  }
  const handler = COMMANDS[command];
  try {
    if (handler === undefined)
      throw new UsageError(
        `unknown command "${command}": expected one of ${Object.keys(COMMANDS).join(", ")}\n\n${usage()}`,
      );
    return await handler(args);
  } catch (error) {
    if (error instanceof UsageError || error instanceof EnvironmentError) {
      log(`sattva-chaos: ${error.message}`);
      return error.exitCode;
    }
    log(`sattva-chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return ExitCode.usageOrEnvironment;
  }
}

process.exitCode = await main(process.argv.slice(2));
