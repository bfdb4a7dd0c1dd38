import { looseList, looseObject, looseText } from "../parse/loose-json.ts";
import type { YamlFile } from "../parse/yaml-file.ts";

/** The host port the runbook's users reach the frontend on (`| Frontend (Nginx) | Docker | 3000 |`). */
export const RUNBOOK_FRONTEND_PORT = 3000;

/** nginx's own port in its container (the runbook's `listen 80;`): the one users are sent to. */
const NGINX_PORT = 80;

/** Where users reach the frontend on the host: the port compose publishes it on. */
export interface FrontendPublish {
  readonly port: number;
  /** Published on the host's loopback only (`127.0.0.1:3000:80`, behind a proxy on the host). */
  readonly loopbackOnly: boolean;
}

interface PortEntry {
  readonly target: number;
  readonly published: number;
  readonly hostIp: string;
}

/** `${VAR}`, `$VAR` and `${VAR:-3000}` as compose reads them: from the project's `.env`, else the default. */
function interpolated(text: string, env: ReadonlyMap<string, string>): string {
  return text
    .replace(
      /\$\{(\w+)(?::?-([^}]*))?\}/g,
      (whole, name: string, fallback?: string) => env.get(name) ?? fallback ?? whole,
    )
    .replace(/\$(\w+)/g, (whole, name: string) => env.get(name) ?? whole);
}

/** One `ports:` entry, short (`[HOST_IP:]PUBLISHED:TARGET[/PROTOCOL]`) or long syntax; undefined when it publishes no fixed port. */
function portEntry(raw: unknown, env: ReadonlyMap<string, string>): PortEntry | undefined {
  const read = (text: unknown) => interpolated(looseText(text), env);
  let target: string;
  let published: string;
  let hostIp: string;
  if (typeof raw === "object" && raw !== null) {
    const entry = looseObject(raw);
    target = read(entry["target"]);
    published = read(entry["published"]);
    hostIp = read(entry["host_ip"]);
  } else {
    const parts = read(raw)
      .replace(/\/\w+$/, "")
      .split(":");
    target = parts.pop() ?? "";
    published = parts.pop() ?? "";
    hostIp = parts.join(":").replace(/^\[|\]$/g, "");
  }
  if (!/^\d+$/.test(target) || !/^\d+$/.test(published)) return undefined;
  return { target: Number(target), published: Number(published), hostIp };
}

/** nginx's first `listen` (`80`, `127.0.0.1:8080`, `[::]:80`) as a port and whether on loopback only. */
function listenPublish(listens: readonly string[]): FrontendPublish | undefined {
  const [first] = listens;
  const port = first === undefined ? undefined : /(\d+)$/.exec(first)?.[1];
  if (first === undefined || port === undefined) return undefined;
  return { port: Number(port), loopbackOnly: /^(127\.|\[::1\]|localhost)/.test(first) };
}

/**
 * Where users reach the frontend (compose service `service`) on the host, from the compose files as
 * compose merges them (each file's `ports:` adds to the ones before): the port nginx's 80 is published
 * on, else the first published port (`${VARIABLES}` read from `env`, the compose project's `.env`);
 * on the host's own network (`network_mode: host`), where nginx listens (`listens`: its `listen`
 * directives' first arguments). The runbook's 3000 when there is no
 * such port (or no frontend): what the runbook's users would try.
 */
export function frontendPublishOf(
  composeYaml: readonly YamlFile[],
  service: string | undefined,
  listens: readonly string[] = [],
  env: ReadonlyMap<string, string> = new Map(),
): FrontendPublish {
  const definitions =
    service === undefined
      ? []
      : composeYaml.map((yaml) => looseObject(looseObject(looseObject(yaml.data)["services"])[service]));
  if (definitions.some((definition) => definition["network_mode"] === "host"))
    return listenPublish(listens) ?? { port: NGINX_PORT, loopbackOnly: false };
  const entries = definitions.flatMap((definition) =>
    looseList(definition["ports"]).flatMap((raw) => portEntry(raw, env) ?? []),
  );
  const chosen = entries.find((entry) => entry.target === NGINX_PORT) ?? entries[0];
  if (chosen === undefined) return { port: RUNBOOK_FRONTEND_PORT, loopbackOnly: false };
  return { port: chosen.published, loopbackOnly: /^(127\.|::1$|localhost$)/.test(chosen.hostIp) };
}
