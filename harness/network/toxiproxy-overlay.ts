import path from "node:path";
import { Toxiproxy, type Proxy } from "toxiproxy-node-client";
import { shellQuote } from "../host/shell.ts";
import { TOXIPROXY_API_PORT } from "../stack-ports.ts";
import { STACK_ROOT } from "../stack/stack-layout.ts";
import type { Stack } from "../stack/stack.ts";
import { httpGetJson } from "../probes/http.ts";
import { until } from "../waits/wait.ts";
import { DOCUMENTED_BACKEND_UPSTREAM, LINKS, redirectedUrl, type LinkName } from "./links.ts";

/** Heals every toxiproxy fault on the host without the harness: all proxies enabled, no toxics. */
export const RESET_TOXIPROXY = `curl -fsS -m 5 -X POST http://127.0.0.1:${TOXIPROXY_API_PORT}/reset`;

/** Everything chaos mode adds on the host lives here or in the drop-ins below; revert removes it all. */
const OVERLAY_DIR = `${STACK_ROOT}/.sattva-chaos`;
const OVERLAY_COMPOSE = `${OVERLAY_DIR}/toxiproxy.yml`;
const OVERLAY_NGINX_CONF = `${OVERLAY_DIR}/nginx.conf`;
/** The stack's own .env (compose reads COMPOSE_FILE from it), kept here while chaos mode adds to it. */
const SAVED_ENV = `${OVERLAY_DIR}/env.saved`;
const NGINX_CONF_IN_CONTAINER = "/etc/nginx/conf.d/default.conf";
/** A proxy as toxiproxy's API describes it. */
export interface ProxyState {
  readonly name: string;
  readonly enabled: boolean;
  readonly toxics: readonly { readonly name: string; readonly type: string }[];
}

const dropIn = (unit: string) => `/etc/systemd/system/${unit}.service.d/sattva-chaos-toxiproxy.conf`;

const unitEnvLinks = Object.values(LINKS).flatMap((link) =>
  link.redirect.kind === "unit-env" ? [{ link, redirect: link.redirect }] : [],
);
const redirectedUnits = [...new Set(unitEnvLinks.map(({ redirect }) => redirect.unit))];

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
  readonly #apiBase: string;
  #reverted = false;

  private constructor(stack: Stack) {
    this.stack = stack;
    this.#apiBase = stack.host.url(TOXIPROXY_API_PORT, "").replace(/\/$/, "");
    this.api = new Toxiproxy(this.#apiBase);
  }

  /** Applies chaos mode to a provisioned, started stack (`image`: toxiproxy's, loaded on the host); reverts what it did if a step fails. */
  static async apply(stack: Stack, image: string): Promise<ToxiproxyOverlay> {
    const overlay = new ToxiproxyOverlay(stack);
    try {
      await overlay.#startToxiproxy(image);
      for (const link of Object.values(LINKS)) {
        await overlay.api.createProxy({ name: link.name, listen: link.listen, upstream: link.upstream });
      }
      await overlay.#redirectNginx();
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

  async #startToxiproxy(image: string): Promise<void> {
    const composeFiles = await this.#composeFiles();
    await this.stack.host.run(`mkdir -p ${OVERLAY_DIR}`);
    await this.stack.host.run(`cat > ${OVERLAY_COMPOSE}`, { input: overlayCompose(image) });
    const env = `${STACK_ROOT}/.env`;
    await this.stack.host.run(
      `if [ -e ${env} ]; then cp -p ${env} ${SAVED_ENV}; fi; ` +
        `printf '\\n# sattva-chaos chaos mode (removed when it ends)\\nCOMPOSE_FILE=%s\\n' ${shellQuote(
          [...composeFiles, OVERLAY_COMPOSE].join(":"),
        )} >> ${env}`,
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

  async #redirectNginx(): Promise<void> {
    const conf = (await this.stack.run(`docker compose exec -T frontend cat ${NGINX_CONF_IN_CONTAINER}`))
      .stdout;
    if (!conf.includes(DOCUMENTED_BACKEND_UPSTREAM))
      throw new Error(
        `the frontend's ${NGINX_CONF_IN_CONTAINER} does not proxy to ${DOCUMENTED_BACKEND_UPSTREAM}; chaos mode cannot route nginx -> backend through toxiproxy`,
      );
    await this.stack.host.run(`cat > ${OVERLAY_NGINX_CONF}`, {
      input: conf.replaceAll(DOCUMENTED_BACKEND_UPSTREAM, LINKS["nginx-backend"].listen),
    });
    await this.stack.run("docker compose up -d frontend", { timeoutMs: 2 * 60_000 });
  }

  async #redirectUnits(): Promise<void> {
    for (const unit of redirectedUnits) {
      const lines: string[] = [];
      for (const { link, redirect } of unitEnvLinks.filter((l) => l.redirect.unit === unit)) {
        const url = (await this.#unitSetting(unit, redirect.variable)) ?? redirect.fallback;
        lines.push(`Environment="${redirect.variable}=${redirectedUrl(url, link)}"`);
      }
      await this.stack.host.run(`mkdir -p $(dirname ${dropIn(unit)}) && cat > ${dropIn(unit)}`, {
        input: `# sattva-chaos chaos mode: this unit's connections go through toxiproxy\n[Service]\n${lines.join("\n")}\n`,
      });
    }
    await this.stack.host.run(`systemctl daemon-reload && systemctl restart ${redirectedUnits.join(" ")}`);
  }

  /** A variable as the app reads it: the unit's environment, else the .env in its working directory. */
  async #unitSetting(unit: string, variable: string): Promise<string | undefined> {
    const show = await this.stack.host.run(
      `systemctl show -p Environment --value ${unit}; systemctl show -p WorkingDirectory --value ${unit}`,
    );
    const [environment = "", workingDirectory = ""] = show.stdout.split("\n");
    const fromUnit = environment
      .split(" ")
      .find((entry) => entry.startsWith(`${variable}=`))
      ?.slice(variable.length + 1);
    if (fromUnit !== undefined) return fromUnit;
    const envFile = await this.stack.host.run(`cat ${shellQuote(`${workingDirectory}/.env`)}`, {
      check: false,
    });
    const line = envFile.stdout
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.startsWith(`${variable}=`));
    return line
      ?.slice(variable.length + 1)
      .trim()
      .replace(/^(["'])(.*)\1$/, "$2");
  }

  /** Undoes chaos mode: units back on their own settings, nginx on its own file, toxiproxy gone. */
  async revert(): Promise<void> {
    if (this.#reverted) return;
    this.#reverted = true;
    const host = this.stack.host;
    await host.run(
      `rm -f ${redirectedUnits.map(dropIn).join(" ")} && systemctl daemon-reload && systemctl restart ${redirectedUnits.join(" ")}`,
    );
    // Removed while COMPOSE_FILE still names the overlay, so compose knows the service.
    await this.stack.run("docker compose rm -sf toxiproxy", { check: false, timeoutMs: 2 * 60_000 });
    await host.run(
      `if [ -e ${SAVED_ENV} ]; then cp -p ${SAVED_ENV} ${STACK_ROOT}/.env; else rm -f ${STACK_ROOT}/.env; fi; rm -rf ${OVERLAY_DIR}`,
    );
    await this.stack.run("docker compose up -d frontend", { timeoutMs: 2 * 60_000 });
  }
}

/** The compose overlay: toxiproxy on the host's network, and nginx reading the redirected copy of its file. */
function overlayCompose(image: string): string {
  return [
    "# sattva-chaos chaos mode: toxiproxy between the services (removed when chaos mode ends).",
    "services:",
    "  toxiproxy:",
    `    image: ${image}`,
    "    network_mode: host",
    `    command: ["-host", "0.0.0.0", "-port", "${TOXIPROXY_API_PORT}"]`,
    "  frontend:",
    "    volumes:",
    `      - ${OVERLAY_NGINX_CONF}:${NGINX_CONF_IN_CONTAINER}:ro`,
    "",
  ].join("\n");
}
