import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError } from "../errors.ts";
import { secondsSince } from "../format.ts";
import type { CommandResult } from "../host/command.ts";
import type { Host } from "../host/host.ts";
import { isBuiltHere, type ResolvedImage } from "../images/image-builder.ts";
import type { Service } from "../images/catalogue.ts";
import { postgresReady } from "../probes/postgres.ts";
import { InconclusiveError } from "../chaos/verdict.ts";
import { looseList, looseObject, looseText } from "../parse/loose-json.ts";
import { hashTree } from "../lifecycle/tree-hash.ts";
import { runbook } from "../runbook/runbook.ts";
import { CheckoutTerms } from "../runbook/checkout-terms.ts";
import type { HostProvisioning } from "../targets/target.ts";
import { until } from "../waits/wait.ts";
import type { ComposeBuild, Deployment, Venv } from "./deployment.ts";
import { copyDeployed, notDeployed, type StackDir } from "./stack-layout.ts";
import type { RunbookService } from "../profile/profile.ts";
import { STACK_PORTS } from "../stack-ports.ts";

const PROVISION_SCRIPT = fileURLToPath(new URL("../../vagrant/provision.sh", import.meta.url));
const TEST_DOUBLES = fileURLToPath(new URL("../../fixtures/test-doubles", import.meta.url));
/** Where the stack checkout and the provisioning script are copied on the host before provisioning. */
const HOST_SOURCE = "/var/tmp/sattva-stack";
const HOST_SCRIPT = "/var/tmp/sattva-provision.sh";
const HOST_IMAGE_LIST = "/var/tmp/sattva-images.list";
const HOST_BUILD_LIST = "/var/tmp/sattva-builds.list";
const HOST_TEST_DOUBLES = "/var/tmp/sattva-test-doubles";
const HOST_ENV_FILES = `${HOST_SOURCE}.env-files`;

/** The file provisioning (vagrant/provision.sh, UNBUILT) leaves in a venv pip could not build, with pip's last error lines. */
export const UNBUILT_VENV_MARKER = ".sattva-chaos-unbuilt";

/** The compose profile provisioning (vagrant/provision.sh) puts services with no image behind. */
export const UNAVAILABLE_PROFILE = "unavailable-offline";

/** How the start waits for the database between compose and systemd. */
export type DbGate = "readiness" | "sleep-10";

export interface ProvisionReport {
  /** Every "changed:" line of the provisioning script; empty when the host was already provisioned. */
  readonly changes: string[];
  /** Every "skipped:" line: what provisioning could not do on this host (a venv pip could not build). */
  readonly skipped: string[];
  readonly output: string;
  readonly durationMs: number;
}

export interface StartReport {
  readonly steps: CommandResult[];
  readonly durationMs: number;
}

export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

export interface SkippedService {
  readonly service: string;
  readonly reason: string;
}

/** What provisioning is given besides the files it copies: its variables, image tags and env files. */
interface ProvisionInputs {
  readonly env: string;
  readonly imageList: string;
  readonly buildList: string;
  readonly envFiles: readonly { readonly file: string; readonly text: string }[];
}

function provisionInputs(
  deployment: Deployment,
  images: ReadonlyMap<Service, ResolvedImage>,
): ProvisionInputs {
  const quote = (words: readonly string[]) => `'${words.join(" ")}'`;
  const env = [
    `SATTVA_ROOT=${deployment.root}`,
    `SATTVA_UNIT_FILES=${quote(deployment.unitFiles)}`,
    `SATTVA_ENABLE=${quote(enabledUnits(deployment))}`,
    `SATTVA_TIMER=${deployment.unitsPresent.has("timer") ? deployment.unit("timer") : "''"}`,
    `SATTVA_VENVS=${quote(deployment.venvs.map((v) => `${v.dir}:${v.requirements ?? ""}`))}`,
    `SATTVA_USERS=${quote(deployment.users)}`,
    `SATTVA_ENV_FILES=${HOST_ENV_FILES}`,
    `SATTVA_COMPOSE_DIR=${deployment.composeDir}`,
    `SATTVA_IMAGES=${HOST_IMAGE_LIST}`,
    `SATTVA_BUILDS=${HOST_BUILD_LIST}`,
    `SATTVA_TEST_DOUBLES=${HOST_TEST_DOUBLES}`,
    `SATTVA_UNAVAILABLE=${quote(skippedServices(deployment, images).map((s) => s.service))}`,
  ].join(" ");
  // "LOCAL_REF COMPOSE_IMAGE" lines: the harness's images, tagged with the names the compose file
  // uses, and with the names the Dockerfiles it builds start FROM.
  const tags = deployment.composeImages.flatMap(({ image, catalogue, build }) => [
    ...(image === undefined ? [] : [{ name: image, local: catalogue && images.get(catalogue)?.ref }]),
    ...(build?.bases ?? []).map((base) => ({ name: base.image, local: images.get(base.catalogue)?.ref })),
  ]);
  const imageList = [
    ...new Set(
      tags.flatMap(({ name, local }) =>
        local === undefined || local === name ? [] : [`${local} ${name}\n`],
      ),
    ),
  ].join("");
  const buildList = builtHere(deployment, images)
    .map(({ image, context, dockerfile }) => `${image} ${context} ${dockerfile}\n`)
    .join("");
  return {
    env,
    imageList,
    buildList,
    envFiles: deployment.envFiles.map(({ file, text }) => ({ file, text })),
  };
}

/** The compose builds provisioning makes offline: those whose every base has an image here. */
function builtHere(deployment: Deployment, images: ReadonlyMap<Service, ResolvedImage>): ComposeBuild[] {
  return deployment.composeImages.flatMap(({ build }) =>
    build !== undefined && build.bases.every((base) => images.get(base.catalogue)?.ref !== undefined)
      ? [build]
      : [],
  );
}

/** The units provisioning enables (started at boot): all the runbook's but the update service the timer starts. */
function enabledUnits(deployment: Deployment): string[] {
  return [...deployment.unitsPresent]
    .filter((role) => role !== "update")
    .map((role) => deployment.unit(role));
}

/** Compose services with no image here, and why (Grafana offline, an image with no offline recipe). */
function skippedServices(
  deployment: Deployment,
  images: ReadonlyMap<Service, ResolvedImage>,
): SkippedService[] {
  return deployment.composeImages.flatMap(({ service, catalogue, missing, build }) => {
    const skippedBase = build?.bases.find((base) => images.get(base.catalogue)?.skipped !== undefined);
    const reason =
      missing !== undefined
        ? `skipped: ${missing}`
        : skippedBase !== undefined
          ? `its base ${skippedBase.image}: ${images.get(skippedBase.catalogue)?.skipped}`
          : catalogue && images.get(catalogue)?.skipped;
    return reason === undefined ? [] : [{ service, reason }];
  });
}

/**
 * The Sattva Streamer deployment on one host: provisioned from a stack checkout, started in the
 * runbook's order, stopped, and its logs collected. Scenarios drive it; it knows nothing of faults.
 */
export class Stack {
  readonly host: Host;
  readonly source: StackDir;
  readonly #images: ReadonlyMap<Service, ResolvedImage>;
  #skippedOnHost: readonly SkippedService[] | undefined;
  /** Compose builds provisioning could not make offline (read at the start). */
  #unbuilt: readonly SkippedService[] = [];
  #postgres: Promise<PostgresConnection> | undefined;
  #composeConfig: Promise<Record<string, unknown>> | undefined;

  /** A stack to provision on a host the harness made, with the harness's images. */
  constructor(host: Host, source: StackDir, images: ReadonlyMap<Service, ResolvedImage>) {
    this.host = host;
    this.source = source;
    this.#images = images;
  }

  /**
   * The stack already deployed on an existing host (`source` gives its layout). Nothing is copied or
   * provisioned; the services that host's provisioning left out are read from its compose project.
   */
  static async attach(host: Host, source: StackDir): Promise<Stack> {
    const stack = new Stack(host, source, new Map());
    // As an operator runs compose there: the override beside the compose file applies too.
    const config = await stack.compose("--profile '*' config --format json", { check: false });
    if (config.exitCode !== 0) {
      throw new EnvironmentError(
        `${host.name} has no deployed stack in ${stack.root} (docker compose config said: ` +
          `${config.stderr.trim() || `exit ${config.exitCode}`}); deploy it before checking it`,
      );
    }
    const services = (JSON.parse(config.stdout) as { services: Record<string, { profiles?: string[] }> })
      .services;
    stack.#skippedOnHost = Object.entries(services)
      .filter(([, service]) => service.profiles?.includes(UNAVAILABLE_PROFILE) === true)
      .map(([service]) => ({
        service,
        reason: `not deployed on this host: provisioned without an image for it (profile ${UNAVAILABLE_PROFILE})`,
      }));
    return stack;
  }

  /** Compose services with no image on this host, and why (Grafana offline, an image with no offline recipe). */
  get skipped(): SkippedService[] {
    if (this.#skippedOnHost !== undefined) return [...this.#skippedOnHost];
    return [...skippedServices(this.deployment, this.#images), ...this.#unbuilt];
  }

  get deployment(): Deployment {
    return this.source.deployment;
  }

  /** Where the stack lives on the host (its profile's root; the runbook's /opt/sattva-streamer by default). */
  get root(): string {
    return this.deployment.root;
  }

  /**
   * `-f …` naming the checkout's compose files where compose would not find them by itself, with the
   * override provisioning writes beside the main file for services with no image here: compose reads
   * that override by itself only when no `-f` is given.
   */
  get composeFileArgs(): string {
    const args = this.deployment.composeFileArgs;
    if (args === "" || this.skipped.length === 0) return args;
    return `${args} -f ${path.posix.join(this.deployment.composeDir, "docker-compose.override.yml")}`;
  }

  /** The runbook's names against this checkout's on this host: how a runbook command is typed here. */
  get terms(): CheckoutTerms {
    const onHost = (venv: Venv | undefined) =>
      venv === undefined ? undefined : path.posix.join(this.root, venv.dir);
    return new CheckoutTerms(this.deployment.profile, {
      composeFileArgs: this.composeFileArgs,
      venvs: { backend: onHost(this.deployment.backendVenv), streamer: onHost(this.deployment.streamerVenv) },
      containerNames: this.deployment.containerNames,
      frontendPort: this.deployment.frontend.port,
    });
  }

  /**
   * A URL of the frontend as users reach it (`frontendUrl("/api/health")`), on the port this checkout
   * publishes it on (the runbook's :3000, or its own).
   */
  frontendUrl(path = "/"): Promise<string> {
    const { port, loopbackOnly } = this.deployment.frontend;
    return this.#urlOf(port, loopbackOnly ? "127.0.0.1" : "", path);
  }

  /**
   * A URL of `port` on the host, published on `hostIp` ("" for every interface): straight to it for
   * the runbook's ports, which every host forwards from outside; through a relay that connects as the
   * host itself does for any other, or one published on a single address (loopback).
   */
  async #urlOf(port: number, hostIp: string, path: string): Promise<string> {
    const everywhere = ["", "0.0.0.0", "::"].includes(hostIp);
    if (everywhere && STACK_PORTS.includes(port)) return this.host.url(port, path);
    const local = await this.host.loopbackPort(port, everywhere ? undefined : hostIp);
    return `http://127.0.0.1:${local}${path.startsWith("/") ? path : `/${path}`}`;
  }

  /** Runs a command in the stack's directory on the host, as the runbook's commands are run. */
  run(command: string, options: { check?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.host.run(`cd ${this.root} && ${command}`, options);
  }

  /**
   * `docker compose ARGS` on the checkout's own compose files, for the harness's own use (the
   * runbook's commands are run as written, with `run`).
   */
  async compose(args: string, options: { check?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    const result = await this.host.run(this.composeCommand(args), options);
    // Compose's warnings (an unset variable) are the audit's findings, not the command's output.
    return { ...result, stderr: result.stderr.replace(/^time="[^"]*" level=warning msg=.*\n?/gm, "") };
  }

  /**
   * `docker compose …` with every profile the compose files define enabled: a bare `stop` or `down`
   * leaves the services of profiles not enabled (`profiles: [monitoring]`) running.
   */
  async composeEveryProfile(
    args: string,
    options: { check?: boolean; timeoutMs?: number } = {},
  ): Promise<CommandResult> {
    const profiles = (await this.compose("config --profiles", { check: false })).stdout
      .split("\n")
      .map((profile) => profile.trim())
      .filter(Boolean);
    return this.compose(`${profiles.map((profile) => `--profile ${profile}`).join(" ")} ${args}`, options);
  }

  /** `docker compose …` as a shell command run in the stack's root, on its own compose files. */
  composeCommand(args: string): string {
    return `cd ${this.root} && docker compose ${this.composeFileArgs} ${args}`.replace(/ {2,}/g, " ");
  }

  /** A shell expression for the id of a compose service's container (empty when it has none). */
  containerOf(service: string): string {
    return `$(${this.composeCommand(`ps -a -q ${service}`)})`;
  }

  /** A compose service's container state ("created", "running", "exited"...), or "absent". */
  async containerState(service: string): Promise<string> {
    const ps = await this.compose(`ps -a --format '{{.State}}' ${service}`, { check: false });
    return ps.exitCode === 0 && ps.stdout.trim() !== "" ? (ps.stdout.trim().split("\n")[0] ?? "") : "absent";
  }

  /**
   * How the harness reaches the deployment's PostgreSQL with `pg`: the port the host forwards, the
   * credentials the compose file gives the database service (kept in memory, never written).
   */
  async postgresConnection(): Promise<PostgresConnection> {
    this.#postgres ??= (async () => {
      const db = this.deployment.service("db");
      if (db === undefined)
        throw new InconclusiveError("the checkout deploys no PostgreSQL to write marker rows in");
      const env = looseObject((await this.#composeService(db))["environment"]);
      const user = looseText(env["POSTGRES_USER"], "postgres");
      return {
        host: "127.0.0.1",
        port: await this.host.loopbackPort(await this.publishedPort(db, 5432)),
        user,
        password: looseText(env["POSTGRES_PASSWORD"]),
        database: looseText(env["POSTGRES_DB"], user),
      };
    })();
    return this.#postgres;
  }

  /**
   * The password the deployment's Redis asks for, where its compose service sets one (`--requirepass`
   * in its command, or the REDIS_PASSWORD an image reads); undefined when it asks for none.
   */
  async redisPassword(): Promise<string | undefined> {
    const redis = this.deployment.service("redis");
    if (redis === undefined) return undefined;
    const service = await this.#composeService(redis);
    return requirePass(looseList(service["command"]).map(String), looseObject(service["environment"]));
  }

  /**
   * The host port compose publishes a service's container port on, as the services on the host reach
   * it (the runbook's `127.0.0.1:5432:5432`); the container port itself when it publishes none, where
   * nothing on the host reaches it and a probe there says so.
   */
  async publishedPort(service: string, containerPort: number): Promise<number> {
    return (await this.#publication(service, containerPort))?.port ?? containerPort;
  }

  /** Where compose publishes a service's container port on the host, or undefined when it does not. */
  async #publication(
    service: string,
    containerPort: number,
  ): Promise<{ readonly port: number; readonly hostIp: string } | undefined> {
    const { ports } = await this.#composeService(service);
    const entry = looseList(ports)
      .map((raw) => looseObject(raw))
      .find((raw) => Number(raw["target"]) === containerPort && raw["published"] !== undefined);
    return entry === undefined
      ? undefined
      : { port: Number(entry["published"]), hostIp: looseText(entry["host_ip"]) };
  }

  /**
   * A URL of a compose service's HTTP port (Prometheus' 9090, Alertmanager's 9093) as the host itself
   * reaches it: where compose publishes it, on every interface as the runbook does or on the host's
   * loopback only (`127.0.0.1:9090:9090`, as the exposure audit advises), on the host's own port for a
   * service on the host's network, else at the container's own address, for a service the checkout
   * keeps on its compose network.
   */
  async serviceUrl(role: RunbookService, containerPort: number, path = "/"): Promise<string> {
    const service = this.deployment.service(role) ?? role;
    if (await this.onHostNetwork(service)) return this.#urlOf(containerPort, "127.0.0.1", path);
    const published = await this.#publication(service, containerPort);
    if (published !== undefined) return this.#urlOf(published.port, published.hostIp, path);
    return this.#urlOf(containerPort, await this.#containerAddress(service), path);
  }

  /** Whether a compose service runs on the host's own network (`network_mode: host`): it listens on the host's ports. */
  async onHostNetwork(service: string): Promise<boolean> {
    return (await this.#composeService(service))["network_mode"] === "host";
  }

  /** A running service container's address on its (first) compose network. */
  async #containerAddress(service: string): Promise<string> {
    const inspected = await this.host.run(
      `docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' ${this.containerOf(service)}`,
      { check: false },
    );
    const [address] = inspected.stdout.trim().split(/\s+/);
    if (inspected.exitCode !== 0 || address === undefined || address === "")
      throw new Error(
        `${service} publishes no port and has no address on its network: ${inspected.stderr.trim() || "not running"}`,
      );
    return address;
  }

  /** A compose service as `docker compose config` resolves it (read once per stack). */
  async #composeService(service: string): Promise<Record<string, unknown>> {
    this.#composeConfig ??= this.compose("config --format json").then((config) =>
      looseObject(looseObject(JSON.parse(config.stdout) as unknown)["services"]),
    );
    return looseObject((await this.#composeConfig)[service]);
  }

  /**
   * Provisioning for a host the harness makes (see HostOptions.provisioning): keyed by every byte it
   * reads, so a target's template of a provisioned host is used only for this very stack and images.
   */
  static async provisioning(
    source: StackDir,
    images: ReadonlyMap<Service, ResolvedImage>,
  ): Promise<HostProvisioning> {
    const inputs = provisionInputs(source.deployment, images);
    const [checkout, ...rest] = await Promise.all([
      hashTree(source.dir, notDeployed(source.dir)),
      hashTree(TEST_DOUBLES),
      hashTree(PROVISION_SCRIPT),
    ]);
    const hash = (parts: object) => createHash("sha256").update(JSON.stringify(parts)).digest("hex");
    const family = hash({ hashes: rest, inputs });
    const key = hash({ hashes: [checkout, ...rest], inputs });
    const deployment = source.deployment;
    // The timer runs from boot on a provisioned host too; the services wait for the runbook's start.
    const timer = deployment.unitsPresent.has("timer") ? deployment.unit("timer") : undefined;
    const heldUnits = enabledUnits(deployment).filter((unit) => unit !== timer);
    return {
      checkout: source.dir,
      key,
      family,
      heldUnits,
      provision: (host) => new Stack(host, source, images).provision(),
    };
  }

  /** Copies the checkout and the provisioning script to the host and runs it (idempotent). */
  async provision(): Promise<ProvisionReport> {
    const started = performance.now();
    const inputs = provisionInputs(this.deployment, this.#images);
    await this.host.run(`rm -rf ${HOST_SOURCE} ${HOST_TEST_DOUBLES} && mkdir -p /var/tmp`);
    await copyDeployed(this.host, this.source.dir, HOST_SOURCE);
    await this.host.copyIn(TEST_DOUBLES, HOST_TEST_DOUBLES);
    await this.host.copyIn(PROVISION_SCRIPT, HOST_SCRIPT);
    await this.host.run(`cat > ${HOST_IMAGE_LIST}`, { input: inputs.imageList });
    await this.host.run(`cat > ${HOST_BUILD_LIST}`, { input: inputs.buildList });
    await this.host.run(`rm -rf ${HOST_ENV_FILES} && mkdir -p ${HOST_ENV_FILES}`);
    for (const envFile of inputs.envFiles)
      await this.host.run(
        `mkdir -p $(dirname ${HOST_ENV_FILES}/${envFile.file}) && cat > ${HOST_ENV_FILES}/${envFile.file}`,
        { input: envFile.text },
      );
    const result = await this.host.run(`${inputs.env} bash ${HOST_SCRIPT} ${HOST_SOURCE}`, {
      timeoutMs: 20 * 60_000,
    });
    const said = (prefix: string) =>
      result.stdout
        .split("\n")
        .filter((line) => line.startsWith(prefix))
        .map((line) => line.slice(prefix.length));
    return {
      changes: said("changed: "),
      skipped: said("skipped: "),
      output: result.stdout,
      durationMs: Math.round(performance.now() - started),
    };
  }

  /**
   * Makes sure the image the compose backend runs exists on the host. Online, compose builds it from
   * the checkout's Dockerfile; offline (pip in an image build cannot reach PyPI), it is made from the
   * venv provisioning built for the backend unit, on the same Debian Python, running the unit's command.
   */
  async ensureComposeBackendImage(): Promise<string> {
    const service = this.deployment.service("backend") ?? "backend";
    const image =
      this.deployment.composeImages.find((c) => c.service === service)?.image ??
      `${this.deployment.profile.compose.project}-${service}`;
    if ((await this.host.run(`docker image inspect ${image}`, { check: false })).exitCode === 0) return image;
    const python = this.#images.get("python")?.ref;
    const venv = this.deployment.backendVenv;
    if (python === undefined || !isBuiltHere(python) || venv === undefined) {
      await this.compose(`build ${service}`, { timeoutMs: 10 * 60_000 });
      return image;
    }
    const project = `${this.root}/${path.posix.dirname(venv.dir)}`;
    const dockerfile = [
      `FROM ${python}`,
      `WORKDIR ${project}`,
      `COPY . ${project}`,
      `ENV PATH=${this.root}/${venv.dir}/bin:/usr/local/bin:/usr/bin:/bin`,
      `CMD ${JSON.stringify(this.deployment.backendCommand)}`,
    ].join("\n");
    await this.host.run(`docker build -q -t ${image} -f - ${project}`, {
      input: dockerfile,
      timeoutMs: 5 * 60_000,
    });
    return image;
  }

  /** The compose builds provisioning could not make offline, with why: `up` would try them again. */
  async unbuiltServices(): Promise<SkippedService[]> {
    const failed = await this.host.run(`cat ${HOST_BUILD_LIST}.failed`, { check: false });
    const why = new Map(
      failed.stdout.split("\n").flatMap((line) => {
        const space = line.indexOf(" ");
        return space > 0 ? [[line.slice(0, space), line.slice(space + 1)] as const] : [];
      }),
    );
    return this.deployment.composeImages.flatMap(({ service, build }) => {
      const reason = build === undefined ? undefined : why.get(build.image);
      return reason === undefined ? [] : [{ service, reason: `skipped: ${reason}` }];
    });
  }

  /**
   * The runbook's start order: `docker compose up -d` of every service but `backend` (less those with
   * no image here), then the DB gate, then `systemctl start` of the backend and the streamer.
   */
  async start(
    gate: DbGate = "readiness",
    progress: (line: string) => void = () => undefined,
  ): Promise<StartReport> {
    const started = performance.now();
    // What production's compose would build or pull: the compose backend, when a documented service needs it.
    const backend = this.deployment.service("backend");
    if (backend !== undefined && this.deployment.startedByRunbook().has(backend))
      await this.ensureComposeBackendImage();
    this.#unbuilt = await this.unbuiltServices();
    // A step that fails is reported and the start goes on, as an operator's would: what can run, runs,
    // and the steady state says what does not.
    const said = (step: CommandResult) => {
      if (step.exitCode !== 0)
        progress(
          `${step.command} failed (exit ${step.exitCode}): ${(step.stderr || step.stdout).trim().split("\n").slice(-3).join(" / ")}`,
        );
      return step;
    };
    const steps: CommandResult[] = [said(await this.startComposeServices())];
    progress(`compose up in ${secondsSince(started)}`);
    const db = this.deployment.service("db");
    if (gate === "sleep-10") {
      steps.push(await this.run("sleep 10"));
    } else if (db !== undefined) {
      const gateStarted = performance.now();
      // A database container that exited will not become ready: that is said at once, not waited out.
      let gone: string | undefined;
      try {
        await until(
          `PostgreSQL (compose service ${db}) to accept connections`,
          async () => {
            const ready = await postgresReady(this);
            if (ready.ok) return { ready: true, detail: ready.detail };
            const state = (
              await this.compose(`ps -a --format {{.State}} ${db}`, { check: false })
            ).stdout.trim();
            if (state === "exited" || state === "dead" || state === "") gone = state || "not created";
            return { ready: gone !== undefined, detail: ready.detail };
          },
          250,
        ).waitUntilReady(120_000);
        progress(
          gone === undefined
            ? `database ready after ${secondsSince(gateStarted)}`
            : `PostgreSQL (compose service ${db}) is ${gone}; the units are started anyway, as the runbook's order would`,
        );
      } catch (error) {
        progress(`${(error as Error).message}; the units are started anyway, as the runbook's order would`);
      }
    }
    for (const unit of this.deployment.services)
      steps.push(said(await this.host.run(`systemctl start ${unit}`, { check: false })));
    progress(`systemd units started; start order done in ${secondsSince(started)}`);
    return { steps, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * The runbook's step 1 for this checkout: `up -d` of every documented service by its name here, less
   * those the checkout does not deploy or has no image for on this host.
   */
  get composeUpArgs(): string {
    const skipped = new Set(this.skipped.map((s) => s.service));
    const services = runbook()
      .composeUp.services.flatMap((role) => this.deployment.service(role) ?? [])
      .filter((service) => !skipped.has(service));
    return `up -d ${services.join(" ")}`;
  }

  /** The runbook's step 1 as a command to run in the stack's root. */
  get composeUpCommand(): string {
    return `docker compose ${this.composeFileArgs} ${this.composeUpArgs}`.replace(/ {2,}/g, " ");
  }

  /**
   * The runbook's step 1 as it can run here: its own words, and, where this host cannot run them as
   * written (a service with no image offline, names the checkout changed), the command run instead
   * and why. Reports name the adaptation; they never count it as the runbook's command run verbatim.
   */
  get documentedComposeUp(): { readonly runbook: string; readonly run: string; readonly why?: string } {
    const written = runbook().composeUp.command;
    const run = this.composeUpCommand;
    if (run === written) return { runbook: written, run };
    const reasons = [
      ...this.skipped.map((s) => `${s.service}: ${s.reason}`),
      ...(this.composeFileArgs.trim() === ""
        ? []
        : [`the checkout's compose files: ${this.composeFileArgs.trim()}`]),
    ];
    return {
      runbook: written,
      run,
      why: reasons.join("; ") || "the checkout names its services differently",
    };
  }

  startComposeServices(): Promise<CommandResult> {
    return this.compose(this.composeUpArgs, { timeoutMs: 5 * 60_000 });
  }

  /** Stops everything: the systemd services, then the compose project (volumes kept). */
  async stop(): Promise<void> {
    if (this.deployment.services.length > 0)
      await this.host.run(`systemctl stop ${this.deployment.services.join(" ")}`);
    await this.composeEveryProfile("down", { timeoutMs: 5 * 60_000 });
  }

  /** Journals of the units and logs of the compose services, for the report when something fails. */
  async logs(): Promise<Record<string, string>> {
    const logs: Record<string, string> = {};
    for (const unit of [...this.deployment.services, this.deployment.unit("update")]) {
      logs[`journal-${unit}.log`] = (
        await this.host.run(`journalctl -u ${unit} --no-pager -n 500`, { check: false })
      ).stdout;
    }
    logs["compose.log"] = (await this.compose("logs --no-color --tail 500", { check: false })).stdout;
    logs["compose-ps.txt"] = (await this.compose("ps -a", { check: false })).stdout;
    return logs;
  }
}

/**
 * Redis' password from its compose service: `--requirepass X` (or `--requirepass=X`) among the command's
 * words, a `requirepass X` inside a shell command, else REDIS_PASSWORD in its environment.
 */
export function requirePass(
  command: readonly string[],
  environment: Record<string, unknown>,
): string | undefined {
  for (const [index, word] of command.entries()) {
    const inline = /(?:^|\s)--?requirepass(?:=|\s+)(\S+)/.exec(word)?.[1];
    if (inline !== undefined) return inline.replace(/^(["'])(.*)\1$/, "$2");
    if (/^--?requirepass$/.test(word)) return command[index + 1];
  }
  const fromEnv = looseText(environment["REDIS_PASSWORD"], "");
  return fromEnv === "" ? undefined : fromEnv;
}
