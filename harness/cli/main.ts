import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { clean } from "../docker/clean.ts";
import { assertDockerRunning } from "../docker/docker-cli.ts";
import { EnvironmentError, ExitCode, oneOf, UsageError } from "../errors.ts";
import { CATALOGUE, parseImageMode, parseService, SERVICES } from "../images/catalogue.ts";
import { ensureImages } from "../images/image-builder.ts";
import { RunEnv } from "../scenario/run-env.ts";
import { listScenarios, runScenarios } from "../scenario/run-scenarios.ts";
import { secondsSince } from "../format.ts";
import { STACK_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { createTarget, TARGET_NAMES } from "../targets/targets.ts";

const USAGE = `usage: sattva-chaos <command> [options]

commands:
  run [scenario...] [--target ${TARGET_NAMES.join("|")}] [--stack DIR] [--mode offline|online] [--grep TEXT] [--report DIR]
                                                      run scenarios (all if none is named; --grep: only tests
                                                      whose name contains TEXT; --report: journals,
                                                      logs and JUnit go to DIR instead of reports/)
  list                                                list the scenarios
  images build [service...] [--mode offline|online]   build (offline) or pull (online) the images; cached by recipe hash
  images list [--mode offline|online]                 show which image each service uses and where it comes from
  up [--target ${TARGET_NAMES.join("|")}] [--mode offline|online]
                                                      boot a host and leave it up for incident work
  down [host...]                                      remove hosts left up by \`up\` (all of them if none is named)
  clean [--all]                                       remove what crashed runs left (--all: also live and kept hosts)

exit codes: 0 passed, 1 a scenario failed, 2 inconclusive or baseline not met, 3 usage or environment error`;

const log = (line: string) => process.stderr.write(`${line}\n`);

function parse<const T extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true } as const);
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
}

const modeOption = { mode: { type: "string", default: "offline" } } as const;

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
    return ExitCode.passed;
  }
  if (action !== "build")
    throw new UsageError(`unknown images action "${action ?? ""}": expected build or list\n\n${USAGE}`);
  const services = positionals.length === 0 ? SERVICES : positionals.map(parseService);
  log(`images (${mode}): ${services.length} to check`);
  const started = performance.now();
  await ensureImages({ mode, services, progress: log });
  log(`images ready in ${secondsSince(started)}`);
  return ExitCode.passed;
}

async function up(args: string[]): Promise<number> {
  const { values } = parse(args, { target: { type: "string", default: "container" }, ...modeOption });
  const target = createTarget(values.target);
  const mode = parseImageMode(values.mode);
  const imagesForHost = await ensureImages({
    mode,
    services: SERVICES.filter((s) => s !== "host"),
    progress: log,
  });
  const host = await target.start({
    imageMode: mode,
    images: [...imagesForHost.values()],
    ports: STACK_PORTS,
    keep: true,
    progress: log,
  });
  process.stdout.write(`${host.name}\n`);
  log(
    `host ${host.name} is up; ports: ${STACK_PORTS.map((port) => `${port} -> ${host.url(port)}`).join(", ")}`,
  );
  log(`shell: docker exec -it ${host.name} bash    remove: npx sattva-chaos down ${host.name}`);
  return ExitCode.passed;
}

async function down(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  await assertDockerRunning();
  const removed =
    positionals.length === 0
      ? [await clean({ all: true })]
      : await Promise.all(positionals.map((host) => clean({ host })));
  const containers = removed.flatMap((report) => report.containers);
  log(containers.length === 0 ? "no host to remove" : `removed ${containers.join(", ")}`);
  return ExitCode.passed;
}

async function cleanCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { all: { type: "boolean", default: false } });
  await assertDockerRunning();
  const report = await clean({ all: values.all });
  for (const [kind, names] of Object.entries(report)) {
    log(`${kind}: ${names.length === 0 ? "none left" : `removed ${names.join(", ")}`}`);
  }
  return ExitCode.passed;
}

async function run(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    target: { type: "string", default: "container" },
    stack: { type: "string", default: BUNDLED_STACK },
    grep: { type: "string" },
    report: { type: "string" },
    ...modeOption,
  });
  createTarget(values.target);
  const mode = parseImageMode(values.mode);
  const stack = await openStackDir(values.stack);
  const available = await listScenarios();
  const chosen =
    positionals.length === 0 ? available : positionals.map((name) => oneOf("scenario", name, available));
  await assertDockerRunning();
  log(`run ${chosen.join(" ")} on ${values.target} (stack ${stack.dir}, images ${mode})`);
  return runScenarios(chosen, values.grep, {
    [RunEnv.target]: values.target,
    [RunEnv.stack]: stack.dir,
    [RunEnv.imageMode]: mode,
    ...(values.report === undefined ? {} : { [RunEnv.reportDir]: path.resolve(values.report) }),
  });
}

async function list(args: string[]): Promise<number> {
  parse(args, {});
  for (const scenario of await listScenarios()) process.stdout.write(`${scenario}\n`);
  return ExitCode.passed;
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  run,
  list,
  images,
  up,
  down,
  clean: cleanCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? ExitCode.usageOrEnvironment : ExitCode.passed;
  }
  const handler = COMMANDS[command];
  try {
    if (handler === undefined)
      throw new UsageError(
        `unknown command "${command}": expected one of ${Object.keys(COMMANDS).join(", ")}\n\n${USAGE}`,
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
