/**
 * The connections between the stack's parts that chaos mode routes through toxiproxy, each through its
 * own proxy so one link can be broken while the others stay healthy.
 */
export type LinkName = "backend-postgres" | "backend-redis" | "streamer-redis" | "nginx-backend";

/** How the client of a link is pointed at the proxy instead of the server. */
export type Redirect =
  /**
   * The environment variable of the unit playing a runbook role (a drop-in), holding a URL whose
   * host:port is replaced.
   */
  | {
      readonly kind: "unit-env";
      readonly role: "backend" | "streamer";
      /** The usual name of the variable; a checkout may call it otherwise (`clientVariables`). */
      readonly variable: string;
      /** The schemes of the server's URLs (postgresql+asyncpg://, rediss://…). */
      readonly scheme: RegExp;
      readonly fallback: string;
    }
  /** nginx's upstream address in the frontend's server block (a compose overlay mounts a copy). */
  | { readonly kind: "nginx-upstream" };

export interface Link {
  readonly name: LinkName;
  /** "backend -> PostgreSQL", as reports say it. */
  readonly description: string;
  /**
   * Where the proxy listens on the host, and the server it forwards to (the runbook's; chaos mode puts
   * the one the client's own URL names in its place: `upstreamOf`).
   */
  readonly listen: string;
  readonly upstream: string;
  readonly redirect: Redirect;
  /**
   * A request the server answers without credentials, and how many reply bytes end the exchange
   * (Infinity: read until the server closes); the link probe measures the link with it.
   */
  readonly probe: { readonly request: string; readonly replyBytes: number };
}

/** PostgreSQL's SSLRequest: eight bytes any server answers with one byte ("N" or "S"). */
export const SSL_REQUEST = "\u0000\u0000\u0000\u0008\u0004\u00d2\u0016\u002f";

const POSTGRES_URL = /^postgres(ql)?(\+\w+)?:\/\//i;
const REDIS_URL = /^rediss?:\/\//i;

export const LINKS: Readonly<Record<LinkName, Link>> = {
  "backend-postgres": {
    name: "backend-postgres",
    description: "backend -> PostgreSQL",
    listen: "127.0.0.1:15432",
    upstream: "127.0.0.1:5432",
    // The backend's own default (fixtures/stacks/bundled/backend/src/main.py), when neither .env nor the unit set it.
    redirect: {
      kind: "unit-env",
      role: "backend",
      variable: "DATABASE_URL",
      scheme: POSTGRES_URL,
      fallback: "postgresql://sattva:sattva@127.0.0.1:5432/sattva",
    },
    probe: { request: SSL_REQUEST, replyBytes: 1 },
  },
  "backend-redis": {
    name: "backend-redis",
    description: "backend -> Redis",
    listen: "127.0.0.1:16379",
    upstream: "127.0.0.1:6379",
    redirect: {
      kind: "unit-env",
      role: "backend",
      variable: "REDIS_URL",
      scheme: REDIS_URL,
      fallback: "redis://127.0.0.1:6379/0",
    },
    probe: { request: "PING\r\n", replyBytes: "+PONG\r\n".length },
  },
  "streamer-redis": {
    name: "streamer-redis",
    description: "streamer -> Redis",
    listen: "127.0.0.1:16380",
    upstream: "127.0.0.1:6379",
    redirect: {
      kind: "unit-env",
      role: "streamer",
      variable: "REDIS_URL",
      scheme: REDIS_URL,
      fallback: "redis://127.0.0.1:6379/0",
    },
    probe: { request: "PING\r\n", replyBytes: "+PONG\r\n".length },
  },
  "nginx-backend": {
    name: "nginx-backend",
    description: "nginx -> backend",
    // nginx runs in Docker and reaches the host at docker0's address; the proxy listens there too.
    listen: "172.17.0.1:18000",
    // The runbook's backend port; `linksFor` puts the profile's (backend.port) in its place.
    upstream: "127.0.0.1:8000",
    redirect: { kind: "nginx-upstream" },
    probe: { request: "GET /health HTTP/1.0\r\nHost: sattva-chaos-probe\r\n\r\n", replyBytes: Infinity },
  },
};

/** The nginx upstream the runbook documents (docker0's address, the backend's port); chaos mode points nginx at the proxy instead. */
export const documentedBackendUpstream = (backendPort: number) => `172.17.0.1:${backendPort}`;

/** The links on a deployment whose backend listens on `backendPort` (the profile's backend.port). */
export function linksFor(backendPort: number): Readonly<Record<LinkName, Link>> {
  return { ...LINKS, "nginx-backend": { ...LINKS["nginx-backend"], upstream: `127.0.0.1:${backendPort}` } };
}

/** A variable of a unit's environment that holds the URL a link's client connects with. */
export interface ClientVariable {
  readonly variable: string;
  readonly url: string;
}

/**
 * The variables through which a unit connects over a link: its usual name (DATABASE_URL) if set, else
 * every variable holding a URL of the link's scheme to the server most of them name (a checkout's
 * POSTGRES_DSN, or CACHE_REDIS and CELERY_BROKER_URL both on one Redis); none found: the usual name
 * with the fallback, the app's own default.
 */
export function clientVariables(environment: ReadonlyMap<string, string>, link: Link): ClientVariable[] {
  if (link.redirect.kind !== "unit-env") return [];
  const { variable, scheme, fallback } = link.redirect;
  const usual = environment.get(variable);
  if (usual !== undefined) return [{ variable, url: usual }];
  const byServer = new Map<string, ClientVariable[]>();
  for (const [name, value] of [...environment].sort(([a], [b]) => a.localeCompare(b)))
    if (scheme.test(value) && URL.canParse(value)) {
      const server = upstreamOf(value, link);
      byServer.set(server, [...(byServer.get(server) ?? []), { variable: name, url: value }]);
    }
  // The server most of them name (the first in name order on a tie).
  const [most] = [...byServer.values()].sort((a, b) => b.length - a.length);
  return most ?? [{ variable, url: fallback }];
}

/**
 * The server a client URL connects to, as toxiproxy's upstream: its host and port, the port being the
 * link's default (the runbook's upstream's) when the URL gives none. A checkout whose PostgreSQL is
 * published on 5433 is proxied to 5433.
 */
export function upstreamOf(url: string, link: Link): string {
  const parsed = new URL(url);
  const defaultPort = link.upstream.split(":").at(-1) ?? "";
  return `${parsed.hostname || "127.0.0.1"}:${parsed.port || defaultPort}`;
}

/** A client URL pointed at the link's proxy: its host:port replaced, credentials and path kept. */
export function redirectedUrl(url: string, link: Link): string {
  const parsed = new URL(url);
  const [hostname = "", port = ""] = link.listen.split(":");
  parsed.hostname = hostname;
  parsed.port = port;
  return parsed.toString();
}
