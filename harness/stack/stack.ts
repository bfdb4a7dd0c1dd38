import { fileURLToPath } from "node:url";
import { EnvironmentError } from "../errors.ts";
import { secondsSince } from "../format.ts";
import type { CommandResult } from "../host/command.ts";
import type { Host } from "../host/host.ts";
import { isBuiltHere, type ResolvedImage } from "../images/image-builder.ts";
import type { Service } from "../images/catalogue.ts";
import { runbook } from "../runbook/runbook.ts";
import { until } from "../waits/wait.ts";
import { STACK_ROOT, type StackDir } from "./stack-layout.ts";

const PROVISION_SCRIPT = fileURLToPath(new URL("../../vagrant/provision.sh", import.meta.url));
const TEST_DOUBLES = fileURLToPath(new URL("../../fixtures/test-doubles", import.meta.url));
/** Where the stack checkout and the provisioning script are copied on the host before provisioning. */
const HOST_SOURCE = "/var/tmp/sattva-stack";
const HOST_SCRIPT = "/var/tmp/sattva-provision.sh";
const HOST_IMAGE_LIST = "/var/tmp/sattva-images.list";
const HOST_TEST_DOUBLES = "/var/tmp/sattva-test-doubles";

/** The compose profile provisioning (vagrant/provision.sh) puts services with no image behind. */
export const UNAVAILABLE_PROFILE = "unavailable-offline";

/** The runbook's documented start order: compose without `backend`, wait for the DB, then systemd. */
export const SYSTEMD_SERVICES = ["sattva-backend", "sattva-streamer"];

/** How the start waits for the database between compose and systemd. */
export type DbGate = "readiness" | "sleep-10";

export interface ProvisionReport {
  /** Every "changed:" line of the provisioning script; empty when the host was already provisioned. */
  readonly changes: string[];
  readonly output: string;
  readonly durationMs: number;
}

export interface StartReport {
  readonly steps: CommandResult[];
  readonly durationMs: number;
}

export interface SkippedService {
  readonly service: string;
  readonly reason: string;
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
    const config = await host.run(
      // As the runbook runs compose: no -f, so the host's docker-compose.override.yml applies too.
      `cd ${STACK_ROOT} && docker compose --profile '*' config --format json`,
      { check: false },
    );
    if (config.exitCode !== 0) {
      throw new EnvironmentError(
        `${host.name} has no deployed stack in ${STACK_ROOT} (docker compose config said: ` +
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

  /** Compose services with no image on this host, and why (Grafana offline). */
  get skipped(): SkippedService[] {
    if (this.#skippedOnHost !== undefined) return [...this.#skippedOnHost];
    return Object.entries(this.source.layout.composeServices).flatMap(([service, catalogued]) => {
      const reason = this.#images.get(catalogued)?.skipped;
      return reason === undefined ? [] : [{ service, reason }];
    });
  }

  /** Runs a command in the stack's directory on the host, as the runbook's commands are run. */
  run(command: string, options: { check?: boolean; timeoutMs?: number } = {}): Promise<CommandResult> {
    return this.host.run(`cd ${STACK_ROOT} && ${command}`, options);
  }

  /** Copies the checkout and the provisioning script to the host and runs it (idempotent). */
  async provision(): Promise<ProvisionReport> {
    const started = performance.now();
    await this.host.run(`rm -rf ${HOST_SOURCE} ${HOST_TEST_DOUBLES} && mkdir -p /var/tmp`);
    await this.host.copyIn(this.source.dir, HOST_SOURCE);
    await this.host.copyIn(TEST_DOUBLES, HOST_TEST_DOUBLES);
    await this.host.copyIn(PROVISION_SCRIPT, HOST_SCRIPT);
    const imageList = await this.#imageList();
    await this.host.run(`cat > ${HOST_IMAGE_LIST}`, { input: imageList });
    const env = [
      `SATTVA_UNITS_DIR=${this.source.layout.unitsDir}`,
      `SATTVA_IMAGES=${HOST_IMAGE_LIST}`,
      `SATTVA_TEST_DOUBLES=${HOST_TEST_DOUBLES}`,
      `SATTVA_UNAVAILABLE='${this.skipped.map((s) => s.service).join(" ")}'`,
    ].join(" ");
    const result = await this.host.run(`${env} bash ${HOST_SCRIPT} ${HOST_SOURCE}`, {
      timeoutMs: 20 * 60_000,
    });
    const changes = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("changed: "))
      .map((line) => line.slice("changed: ".length));
    return { changes, output: result.stdout, durationMs: Math.round(performance.now() - started) };
  }

  /** The compose file's services as `docker compose config` resolves them, read on the host. */
  async #composeServices(dir: string): Promise<Record<string, { image?: string }>> {
    const config = await this.host.run(
      `cd ${dir} && docker compose -f ${this.source.layout.composeFile} config --format json`,
    );
    return (JSON.parse(config.stdout) as { services: Record<string, { image?: string }> }).services;
  }

  /** "LOCAL_REF COMPOSE_IMAGE" lines: the harness's images, tagged with the names the compose file uses. */
  async #imageList(): Promise<string> {
    const services = await this.#composeServices(HOST_SOURCE);
    return Object.entries(this.source.layout.composeServices)
      .flatMap(([service, catalogued]) => {
        const local = this.#images.get(catalogued)?.ref;
        const composeImage = services[service]?.image;
        return local === undefined || composeImage === undefined || local === composeImage
          ? []
          : [`${local} ${composeImage}\n`];
      })
      .join("");
  }

  /**
   * Makes sure the image `docker compose up -d backend` runs exists on the host. Online, compose
   * builds it from the checkout's Dockerfile; offline (pip in an image build cannot reach PyPI), it is
   * made from the venv provisioning built, on the same Debian Python, running the same app.
   */
  async ensureComposeBackendImage(): Promise<string> {
    const image =
      (await this.#composeServices(STACK_ROOT))["backend"]?.image ?? "sattva-streamer-backend:latest";
    if ((await this.host.run(`docker image inspect ${image}`, { check: false })).exitCode === 0) return image;
    const python = this.#images.get("python")?.ref;
    if (python === undefined || !isBuiltHere(python)) {
      await this.run("docker compose build backend", { timeoutMs: 10 * 60_000 });
      return image;
    }
    const dockerfile = [
      `FROM ${python}`,
      `WORKDIR ${STACK_ROOT}/backend`,
      `COPY venv ${STACK_ROOT}/backend/venv`,
      `COPY src ${STACK_ROOT}/backend/src`,
      `CMD ["${STACK_ROOT}/backend/venv/bin/python", "-m", "uvicorn", "src.main:app", "--host", "0.0.0.0", "--port", "8000"]`,
    ].join("\n");
    await this.host.run(`docker build -q -t ${image} -f - ${STACK_ROOT}/backend`, {
      input: dockerfile,
      timeoutMs: 5 * 60_000,
    });
    return image;
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
    const steps: CommandResult[] = [await this.startComposeServices()];
    progress(`compose up in ${secondsSince(started)}`);
    if (gate === "sleep-10") {
      steps.push(await this.run("sleep 10"));
    } else {
      const gateStarted = performance.now();
      await until(
        "PostgreSQL (compose service db) to accept connections",
        async () => {
          const ready = await this.run("docker compose exec -T db pg_isready -q", { check: false });
          return { ready: ready.exitCode === 0, detail: `pg_isready exit ${ready.exitCode}` };
        },
        250,
      ).waitUntilReady(120_000);
      progress(`database ready after ${secondsSince(gateStarted)}`);
    }
    for (const unit of SYSTEMD_SERVICES) steps.push(await this.host.run(`systemctl start ${unit}`));
    progress(`systemd units started; start order done in ${secondsSince(started)}`);
    return { steps, durationMs: Math.round(performance.now() - started) };
  }

  /** The runbook's step 1: `docker compose up -d` of every documented service (less those with no image here). */
  get composeUpCommand(): string {
    const skipped = new Set(this.skipped.map((s) => s.service));
    const services = runbook().composeUp.services.filter((service) => !skipped.has(service));
    return `docker compose up -d ${services.join(" ")}`;
  }

  startComposeServices(): Promise<CommandResult> {
    return this.run(this.composeUpCommand, { timeoutMs: 5 * 60_000 });
  }

  /** Stops everything: the systemd services, then the compose project (volumes kept). */
  async stop(): Promise<void> {
    await this.host.run(`systemctl stop ${SYSTEMD_SERVICES.join(" ")}`);
    await this.run("docker compose down", { timeoutMs: 5 * 60_000 });
  }

  /** Journals of the units and logs of the compose services, for the report when something fails. */
  async logs(): Promise<Record<string, string>> {
    const logs: Record<string, string> = {};
    for (const unit of [...SYSTEMD_SERVICES, "yt-dlp-update"]) {
      logs[`journal-${unit}.log`] = (
        await this.host.run(`journalctl -u ${unit} --no-pager -n 500`, { check: false })
      ).stdout;
    }
    logs["compose.log"] = (
      await this.run("docker compose logs --no-color --tail 500", { check: false })
    ).stdout;
    logs["compose-ps.txt"] = (await this.run("docker compose ps -a", { check: false })).stdout;
    return logs;
  }
}
