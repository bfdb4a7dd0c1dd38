import { oneOf } from "../errors.ts";

/**
 * The one place that says which image each service runs and how that image is obtained.
 * `offline` (the default on machines with no container registry) builds everything from a Debian
 * bookworm base made with debootstrap; `online` uses the official images from their registries.
 */
export const IMAGE_MODES = ["offline", "online"] as const;
export type ImageMode = (typeof IMAGE_MODES)[number];

export const SERVICES = [
  "host",
  "postgres",
  "redis",
  "nginx",
  "prometheus",
  "alertmanager",
  "grafana",
  "toxiproxy",
  "python",
  "node",
  "shellcheck",
] as const;
export type Service = (typeof SERVICES)[number];

/** A Go program installed from the Go module proxy into the build context. */
export interface GoBinary {
  readonly package: string;
  readonly version: string;
  /** File name in the build context. */
  readonly as: string;
}

export type ImageSource =
  /** An image pulled from a registry as it is. */
  | { readonly kind: "pull"; readonly ref: string }
  /**
   * Built from `fixtures/images/<recipe>` on top of the mode's Debian base; `goBinaries` and (with
   * `nodeRuntime`) this machine's Node, npm and certificate authorities are added to its context.
   */
  | {
      readonly kind: "build";
      readonly recipe: string;
      readonly goBinaries?: readonly GoBinary[];
      readonly nodeRuntime?: boolean;
    }
  /** No way to get it in this mode; the reason is shown wherever the service is skipped. */
  | { readonly kind: "unavailable"; readonly reason: string };

const TOXIPROXY_VERSION = "v2.5.0";
const TOXIPROXY_BINARIES: readonly GoBinary[] = [
  {
    package: "github.com/Shopify/toxiproxy/v2/cmd/server",
    version: TOXIPROXY_VERSION,
    as: "toxiproxy-server",
  },
  { package: "github.com/Shopify/toxiproxy/v2/cmd/cli", version: TOXIPROXY_VERSION, as: "toxiproxy-cli" },
];

const build = (recipe: string, goBinaries?: readonly GoBinary[]): ImageSource =>
  goBinaries === undefined ? { kind: "build", recipe } : { kind: "build", recipe, goBinaries };
const pull = (ref: string): ImageSource => ({ kind: "pull", ref });

export const CATALOGUE: Readonly<Record<Service, Readonly<Record<ImageMode, ImageSource>>>> = {
  // The host is ours in both modes; only its Debian base differs.
  host: { offline: build("host"), online: build("host") },
  postgres: { offline: build("postgres"), online: pull("postgres:15-alpine") },
  redis: { offline: build("redis"), online: pull("redis:7-alpine") },
  nginx: { offline: build("nginx"), online: pull("nginx:stable") },
  prometheus: { offline: build("prometheus"), online: pull("prom/prometheus:latest") },
  alertmanager: { offline: build("alertmanager"), online: pull("prom/alertmanager:latest") },
  grafana: {
    offline: {
      kind: "unavailable",
      reason: "no image offline: Grafana has no Debian package and its AGPL source must not be built here",
    },
    online: pull("grafana/grafana:latest"),
  },
  toxiproxy: {
    offline: build("toxiproxy", TOXIPROXY_BINARIES),
    online: pull("ghcr.io/shopify/toxiproxy:2.5.0"),
  },
  // The interpreter under the compose `backend` image (the port-8000 trap), made from the host's venv.
  python: { offline: build("python"), online: pull("python:3.11-slim") },
  // Node for the build stages of a checkout's own images (a frontend built with npm).
  node: { offline: { kind: "build", recipe: "node", nodeRuntime: true }, online: pull("node:lts") },
  // The audit's script checker; its entrypoint is /bin/shellcheck in both.
  shellcheck: { offline: build("shellcheck"), online: pull("koalaman/shellcheck:stable") },
};

/** Images used on this machine only (the host itself, the audit's validators): never loaded into a host. */
export const LOCAL_ONLY: ReadonlySet<Service> = new Set<Service>(["host", "shellcheck"]);

/** The Debian base every `build` recipe starts from, per mode (offline: made by debootstrap). */
export const ONLINE_BASE = "debian:bookworm";

export function parseImageMode(value: string): ImageMode {
  return oneOf("image mode", value, IMAGE_MODES);
}

export function parseService(value: string): Service {
  return oneOf("service", value, SERVICES);
}

/** The catalogue service whose image an image reference is (`postgres:15-alpine` -> postgres). */
export function catalogueServiceOf(image: string): Service | undefined {
  const repo = image.split("@")[0]?.replace(/:[^/:]+$/, "") ?? image;
  const base = repo.replace(/^(docker\.io\/)?(library\/)?/, "");
  for (const [service, sources] of Object.entries(CATALOGUE) as [Service, (typeof CATALOGUE)[Service]][]) {
    if (LOCAL_ONLY.has(service)) continue;
    const online = sources.online;
    if (
      online.kind === "pull" &&
      online.ref.split(":")[0]?.replace(/^ghcr\.io\//, "") === base.replace(/^ghcr\.io\//, "")
    )
      return service;
  }
  if (/^(debian|ubuntu)$/.test(base)) return "python"; // a Debian-based build runs on the catalogue's Debian base
  return undefined;
}
