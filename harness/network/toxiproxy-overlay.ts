import path from "node:path";
import { Toxiproxy, type Proxy } from "toxiproxy-node-client";
import { shellQuote } from "../host/shell.ts";
import { envFileValues } from "../parse/env-file.ts";
import { TOXIPROXY_API_PORT } from "../stack-ports.ts";
import type { Stack } from "../stack/stack.ts";
import { httpGetJson } from "../probes/http.ts";
import { until } from "../waits/wait.ts";
import { DEAD_MAN_TIMING, DeadManSwitch } from "../chaos/dead-man-switch.ts";
import { InconclusiveError } from "../chaos/verdict.ts";
import { unitsNotRunningHere } from "../stack/steady-state.ts";
import {
  documentedBackendUpstream,
  clientVariables,
  LINKS,
  linksFor,
  redirectedUrl,
  upstreamOf,
  type Link,
  type LinkName,
} from "./links.ts";

/** Heals every toxiproxy fault on the host without the harness: all proxies enabled, no toxics. */
export const RESET_TOXIPROXY = `curl -fsS -m 5 -X POST http://127.0.0.1:${TOXIPROXY_API_PORT}/reset`;

/**
 * Where chaos mode keeps what it adds to a stack deployed at `root` (besides the units' drop-ins):
 * revert removes it all.
 */
function overlayPaths(root: string) {
  const dir = `${root}/.sattva-chaos`;
  return {
    dir,
    compose: `${dir}/toxiproxy.yml`,
    nginxConf: `${dir}/nginx.conf`,
    /** The stack's own .env (compose reads COMPOSE_FILE from it), kept here while chaos mode adds to it. */
    env: `${root}/.env`,
    savedEnv: `${dir}/env.saved`,
    /** Written instead of savedEnv when the stack had no .env: revert removes the one chaos mode made. */
    noEnv: `${dir}/env.absent`,
    /** The variables a unit's drop-in points at the proxies (its EnvironmentFile=). */
    unitEnv: (unit: string) => `${dir}/${unit}.env`,
  };
}
const NGINX_CONF_IN_CONTAINER = "/etc/nginx/conf.d/default.conf";
/** A proxy as toxiproxy's API describes it. */
export interface ProxyState {
  readonly name: string;
  readonly enabled: boolean;
  readonly toxics: readonly { readonly name: string; readonly type: string }[];
}

const dropIn = (unit: string) => `/etc/systemd/system/${unit}.d/sattva-chaos-toxiproxy.conf`;

/**
 * Chaos mode: toxiproxy on the host, and backend -> PostgreSQL, backend -> Redis, streamer -> Redis and
 * nginx -> backend each routed through a proxy of its own. Nothing of the user's is edited: the units
 * get drop-ins, nginx gets a copy of its server block through a compose overlay that the stack's .env
 * names (as COMPOSE_FILE), so the runbook's own `docker compose` commands see the same project.
 * `revert` removes all of it and is safe to call twice.
 */
export class ToxiproxyOverlay {
  readonly stack: Stack;
  readonly api: Toxiproxy;
  /** The links on this deployment (its backend port), by name. */
  readonly links: Readonly<Record<LinkName, Link>>;
  readonly #apiBase: string;
  /** The frontend's compose service, whose nginx is pointed at the proxy. */
  readonly #frontend: string;
  /** nginx's upstream as the runbook documents it, on this deployment's backend port. */
  readonly #documentedUpstream: string;
  /** The links whose client is a unit: the unit playing that role here, and the URL it connects with. */
  readonly #unitLinks: readonly UnitLink[];
  /** The units whose connections are redirected (by drop-ins), by name. */
  readonly #units: readonly string[];
  readonly #paths: ReturnType<typeof overlayPaths>;
  /** Reverts chaos mode on the host if the harness dies while it is applied. */
  readonly #deadMan: DeadManSwitch;
  /** The unit of that switch: armed for as long as chaos mode is applied, so no test's residue. */
  readonly deadManSwitch: string;
  #reverted = false;

  private constructor(stack: Stack, frontend: string, apiBase: string, unitLinks: readonly UnitLink[]) {
    this.stack = stack;
    this.#frontend = frontend;
    this.#paths = overlayPaths(stack.root);
    this.#deadMan = new DeadManSwitch(stack.host);
    this.deadManSwitch = this.#deadMan.unit;
    const { port } = stack.deployment.profile.backend;
    // Each proxy forwards to the server its client connects to now, wherever the checkout put it.
    const upstreams = new Map(unitLinks.map(({ link, url }) => [link.name, upstreamOf(url, link)]));
    this.links = Object.fromEntries(
      Object.values(linksFor(port)).map((link) => [
        link.name,
        { ...link, upstream: upstreams.get(link.name) ?? link.upstream },
      ]),
    ) as Record<LinkName, Link>;
    this.#documentedUpstream = documentedBackendUpstream(port);
    this.#unitLinks = unitLinks.map((unitLink) => ({ ...unitLink, link: this.links[unitLink.link.name] }));
    this.#units = [...new Set(this.#unitLinks.map(({ unit }) => unit))];
    this.#apiBase = apiBase;
    this.api = new Toxiproxy(this.#apiBase);
  }

  /**
   * Applies chaos mode to a provisioned, started stack (`image`: toxiproxy's, loaded on the host);
   * reverts what it did if a step fails. A checkout without the parts chaos mode reroutes (the
   * frontend, the backend and streamer units, nginx's documented upstream) makes the tests that need
   * it inconclusive, naming what is missing; nothing is changed on the host then.
   */
  static async apply(stack: Stack, image: string): Promise<ToxiproxyOverlay> {
    const frontend = stack.deployment.service("frontend");
    const missing = [
      ...(frontend === undefined ? ["the checkout deploys no frontend"] : []),
      ...(["backend", "streamer"] as const)
        .filter((role) => !stack.deployment.unitsPresent.has(role))
        .map((role) => `the checkout has no ${role} unit (${stack.deployment.unit(role)})`),
    ];
    if (frontend === undefined || missing.length > 0)
      throw new InconclusiveError(`chaos mode (toxiproxy between the services) needs: ${missing.join("; ")}`);
    // The API listens on the host's loopback only: the harness reaches it through the host.
    const apiBase = `http://127.0.0.1:${await stack.host.loopbackPort(TOXIPROXY_API_PORT)}`;
    const overlay = new ToxiproxyOverlay(stack, frontend, apiBase, await unitLinksOf(stack));
    await overlay.#refuseIfApplied();
    const conf = await overlay.#nginxConf();
    // Armed before anything changes: if the harness dies from here on, the host reverts by itself.
    await overlay.#deadMan.add(overlay.#revertCommand());
    try {
      await overlay.#startToxiproxy(image);
      for (const link of Object.values(overlay.links)) {
        await overlay.api.createProxy({ name: link.name, listen: link.listen, upstream: link.upstream });
      }
      await overlay.#redirectNginx(conf);
      await overlay.#redirectUnits();
    } catch (error) {
      await overlay.revert();
      throw error;
    }
    return overlay;
  }

  proxy(link: LinkName): Promise<Proxy> {
    return this.api.get(link);
  }

  /**
   * Every proxy with its toxics, as the server has them (the client library keeps no toxics on its
   * proxies, so this reads the API's JSON itself).
   */
  async proxies(): Promise<ProxyState[]> {
    const { status, json } = await httpGetJson(`${this.#apiBase}/proxies`);
    if (status !== 200) throw new Error(`toxiproxy GET /proxies: ${status}`);
    return Object.values(json as Record<string, ProxyState>);
  }

  /** Toxics and disabled proxies left on any link, by name: what a scenario must not leave behind. */
  async leftovers(): Promise<string[]> {
    return (await this.proxies()).flatMap((proxy) => [
      ...(proxy.enabled ? [] : [`toxiproxy proxy ${proxy.name} is disabled`]),
      ...proxy.toxics.map((toxic) => `toxic ${toxic.name} (${toxic.type}) on ${proxy.name}`),
    ]);
  }

  /**
   * Refuses a host where chaos mode is applied already (another run's, or one whose harness died and
   * whose switch has not reverted it yet): applying again would take its .env for the stack's own.
   */
  async #refuseIfApplied(): Promise<void> {
    const found = await this.stack.host.run(
      `ls -d ${this.#paths.dir} ${this.#units.map(dropIn).join(" ")} 2>/dev/null; true`,
    );
    const leftovers = found.stdout.split("\n").filter((line) => line !== "");
    if (leftovers.length > 0)
      throw new InconclusiveError(
        `chaos mode is applied on ${this.stack.host.name} already (found ${leftovers.join(", ")}): another run's, ` +
          `or one whose harness died (its dead-man switch reverts it within ${DEAD_MAN_TIMING.graceSeconds * this.stack.host.slowdown} s); ` +
          `nothing was changed. To revert it by hand: ${this.#revertCommand()}`,
      );
  }

  async #startToxiproxy(image: string): Promise<void> {
    const composeFiles = await this.#composeFiles();
    const paths = this.#paths;
    await this.stack.host.run(`mkdir ${paths.dir}`);
    await this.stack.host.run(`cat > ${paths.compose}`, {
      input: overlayCompose(image, this.#frontend, paths.nginxConf),
    });
    // The stack's .env is kept (or its absence noted) before a line is added to it, never overwritten.
    await this.stack.host.run(
      `if [ -e ${paths.env} ]; then cp -p ${paths.env} ${paths.savedEnv}; else touch ${paths.noEnv}; fi && ` +
        `printf '\\n# sattva-chaos chaos mode (removed when it ends)\\nCOMPOSE_FILE=%s\\n' ${shellQuote(
          [...composeFiles, paths.compose].join(":"),
        )} >> ${paths.env}`,
    );
    await this.stack.run("docker compose up -d toxiproxy", { timeoutMs: 2 * 60_000 });
    await until(
      `toxiproxy's API on :${TOXIPROXY_API_PORT}`,
      async () => ({ ready: (await this.api.getVersion()) !== "", detail: "no version yet" }),
      250,
    ).waitUntilReady(30_000 * this.stack.host.slowdown);
  }

  /** The compose files the runbook's `docker compose` reads now (the file and its override, if any). */
  async #composeFiles(): Promise<string[]> {
    const files = this.stack.deployment.profile.compose.files;
    if (files.length > 1) return [...files];
    const [main = "docker-compose.yml"] = files;
    const override = path.posix.join(this.stack.deployment.composeDir, "docker-compose.override.yml");
    return (await this.stack.run(`ls ${override}`, { check: false })).exitCode === 0
      ? [main, override]
      : [main];
  }

  /** nginx's server block as the frontend's container reads it; it must proxy to the documented upstream. */
  async #nginxConf(): Promise<string> {
    const upstream = this.#documentedUpstream;
    const read = await this.stack.compose(`exec -T ${this.#frontend} cat ${NGINX_CONF_IN_CONTAINER}`, {
      check: false,
    });
    if (read.exitCode !== 0 || !read.stdout.includes(upstream))
      throw new InconclusiveError(
        `chaos mode (toxiproxy between the services) needs the frontend's ${NGINX_CONF_IN_CONTAINER} to proxy to ${upstream}: ${read.exitCode === 0 ? "it does not" : `it cannot be read (${read.stderr.trim() || `exit ${read.exitCode}`})`}`,
      );
    return read.stdout;
  }

  async #redirectNginx(conf: string): Promise<void> {
    await this.stack.host.run(`cat > ${this.#paths.nginxConf}`, {
      input: conf.replaceAll(this.#documentedUpstream, this.links["nginx-backend"].listen),
    });
    await this.stack.run(`docker compose up -d ${this.#frontend}`, { timeoutMs: 2 * 60_000 });
  }

  /**
   * Points each unit's variables at the proxies: a drop-in adds an EnvironmentFile= of chaos mode's
   * own, read after the unit's (systemd lets a later file override an earlier one, and any file
   * override Environment=). Then proves each restarted process sees the redirected value.
   */
  async #redirectUnits(): Promise<void> {
    const redirected: { unit: string; variable: string; value: string }[] = [];
    for (const unit of this.#units) {
      const lines: string[] = [];
      for (const { link, variable, url } of this.#unitLinks.filter((l) => l.unit === unit)) {
        const value = redirectedUrl(url, link);
        redirected.push({ unit, variable, value });
        lines.push(`${variable}=${JSON.stringify(value)}`);
      }
      const envFile = this.#paths.unitEnv(unit);
      await this.stack.host.run(`cat > ${envFile}`, { input: `${lines.join("\n")}\n` });
      await this.stack.host.run(`mkdir -p $(dirname ${dropIn(unit)}) && cat > ${dropIn(unit)}`, {
        input: `# sattva-chaos chaos mode: this unit's connections go through toxiproxy\n[Service]\nEnvironmentFile=${envFile}\n`,
      });
    }
    // A unit that cannot run on this host (cannotRunHere) has no process to see the proxy: not proven.
    const notHere = await unitsNotRunningHere(this.stack);
    await this.stack.host.run(`systemctl daemon-reload && systemctl restart ${this.#units.join(" ")}`);
    // `systemctl restart` returns once the new process is forked, maybe before it execs with the unit's
    // environment (its environ is then systemd's): each is looked at until it shows the proxy.
    for (const { unit, variable, value } of redirected.filter((r) => !notHere.has(r.unit))) {
      let seen = new Map<string, string>();
      try {
        await until(
          `${unit}'s process to see ${variable} through toxiproxy`,
          async () => {
            seen = await processEnvironment(this.stack, unit);
            return { ready: seen.get(variable) === value, detail: seen.get(variable) ?? "no such variable" };
          },
          250,
        ).waitUntilReady(15_000 * this.stack.host.slowdown);
      } catch {
        // The last look says what the process sees.
      }
      if (seen.get(variable) !== value)
        throw new InconclusiveError(
          `chaos mode could not point ${unit}'s ${variable} at toxiproxy: its process sees ${seen.has(variable) ? "another value" : "no such variable"}`,
        );
    }
  }

  /**
   * Undoes chaos mode: units back on their own settings, nginx on its own file, toxiproxy gone, the
   * stack's .env as it was. Safe to call twice; the host's dead-man switch is disarmed after.
   */
  async revert(): Promise<void> {
    if (this.#reverted) return;
    this.#reverted = true;
    await this.stack.host.run(this.#revertCommand(), { timeoutMs: 5 * 60_000 });
    await this.#deadMan.disarm();
  }

  /**
   * The revert as one shell command, run by the harness or by the dead-man switch when the harness
   * died: each step runs whatever the previous one did, and only what chaos mode did is undone (the
   * .env is restored only from what chaos mode kept of it).
   */
  #revertCommand(): string {
    const paths = this.#paths;
    const root = shellQuote(this.stack.root);
    return [
      `rm -f ${this.#units.map(dropIn).join(" ")}`,
      "systemctl daemon-reload",
      `systemctl restart ${this.#units.join(" ")}`,
      // Removed while COMPOSE_FILE still names the overlay, so compose knows the service.
      `(cd ${root} && docker compose rm -sf toxiproxy >/dev/null 2>&1)`,
      `if [ -e ${paths.savedEnv} ]; then cp -p ${paths.savedEnv} ${paths.env}; elif [ -e ${paths.noEnv} ]; then rm -f ${paths.env}; fi`,
      `rm -rf ${paths.dir}`,
      `(cd ${root} && docker compose up -d ${this.#frontend} >/dev/null 2>&1)`,
    ].join("; ");
  }
}

/**
 * The compose overlay: toxiproxy on the host's network (its API on loopback only: anyone who reached
 * it could open a proxy to the database), and nginx reading the redirected copy of its file.
 */
function overlayCompose(image: string, frontend: string, nginxConf: string): string {
  return [
    "# sattva-chaos chaos mode: toxiproxy between the services (removed when chaos mode ends).",
    "services:",
    "  toxiproxy:",
    `    image: ${image}`,
    "    network_mode: host",
    `    command: ["-host", "127.0.0.1", "-port", "${TOXIPROXY_API_PORT}"]`,
    `  ${frontend}:`,
    "    volumes:",
    `      - ${nginxConf}:${NGINX_CONF_IN_CONTAINER}:ro`,
    "",
  ].join("\n");
}

/** A variable through which a unit connects over a link, and the URL it holds now. */
interface UnitLink {
  readonly link: Link;
  readonly unit: string;
  readonly variable: string;
  readonly url: string;
}

/** Each variable through which a unit connects over a link (`clientVariables`), with its URL now. */
async function unitLinksOf(stack: Stack): Promise<UnitLink[]> {
  const unitLinks: UnitLink[] = [];
  for (const link of Object.values(LINKS)) {
    if (link.redirect.kind !== "unit-env") continue;
    const unit = stack.deployment.unit(link.redirect.role);
    for (const { variable, url } of clientVariables(await unitEnvironment(stack, unit), link)) {
      // A libpq keyword string ("host=… port=…") has no host:port to replace.
      if (!URL.canParse(url))
        throw new InconclusiveError(
          `chaos mode cannot point ${unit}'s ${variable} at toxiproxy: its value is not a URL (a libpq keyword string, say), so it has no host:port to replace`,
        );
      unitLinks.push({ link, unit, variable, url });
    }
  }
  return unitLinks;
}

/** The environment of a unit's main process, as the app reads it (every Environment= and file applied). */
async function processEnvironment(stack: Stack, unit: string): Promise<Map<string, string>> {
  const environ = await stack.host.run(
    `pid=$(systemctl show -p MainPID --value ${unit}); [ "$pid" != 0 ] && tr '\\0' '\\n' < /proc/$pid/environ`,
    { check: false },
  );
  return new Map(
    environ.stdout.split("\n").flatMap((entry) => {
      const at = entry.indexOf("=");
      return at > 0 ? [[entry.slice(0, at), entry.slice(at + 1)] as const] : [];
    }),
  );
}

/**
 * The settings a unit's app reads: the .env in its working directory (as python-dotenv and
 * pydantic-settings read it), under its process's environment, which wins.
 */
async function unitEnvironment(stack: Stack, unit: string): Promise<Map<string, string>> {
  const workingDirectory = (
    await stack.host.run(`systemctl show -p WorkingDirectory --value ${unit}`)
  ).stdout.trim();
  const envFile = await stack.host.run(`cat ${shellQuote(`${workingDirectory}/.env`)}`, {
    check: false,
  });
  const settings = envFileValues(envFile.stdout);
  for (const [name, value] of await processEnvironment(stack, unit)) settings.set(name, value);
  return settings;
}
