import { looseList, looseObject, looseText } from "../parse/loose-json.ts";

/**
 * The compose project as `docker compose config --format json` resolves it (files merged, variables
 * interpolated, short syntax expanded), reduced to what the audit reads. Environment values are kept
 * only in memory for the checks (a `.env` may hold secrets); no finding prints one.
 */
export interface ComposePort {
  /** "" when published on every interface. */
  readonly hostIp: string;
  readonly published: number | undefined;
  readonly target: number;
  readonly protocol: string;
}

export interface ComposeVolume {
  readonly type: string;
  /** A host path (absolute, on the host) for binds; a volume name for volumes. */
  readonly source: string | undefined;
  readonly target: string;
}

export interface ComposeService {
  readonly name: string;
  readonly image: string | undefined;
  readonly build: { readonly context: string; readonly dockerfile: string } | undefined;
  readonly ports: readonly ComposePort[];
  readonly networks: readonly string[];
  readonly networkMode: string | undefined;
  readonly volumes: readonly ComposeVolume[];
  readonly profiles: readonly string[];
  readonly dependsOn: readonly string[];
  readonly command: readonly string[];
  readonly environment: ReadonlyMap<string, string>;
  readonly restart: string | undefined;
  readonly containerName: string | undefined;
  readonly extraHosts: readonly string[];
}

export interface ComposeModel {
  readonly name: string;
  readonly services: ReadonlyMap<string, ComposeService>;
  readonly networks: ReadonlyMap<string, { readonly internal: boolean; readonly external: boolean }>;
}

const words = (value: unknown): string[] =>
  typeof value === "string" ? value.split(/\s+/).filter(Boolean) : looseList(value).map(String);

export function parseComposeConfig(json: string): ComposeModel {
  const config = looseObject(JSON.parse(json));
  const services = new Map<string, ComposeService>();
  for (const [name, raw] of Object.entries(looseObject(config["services"]))) {
    const service = looseObject(raw);
    const build = service["build"] === undefined ? undefined : looseObject(service["build"]);
    const networks = service["networks"];
    services.set(name, {
      name,
      image: typeof service["image"] === "string" ? service["image"] : undefined,
      build:
        build === undefined
          ? undefined
          : {
              context: looseText(build["context"], "."),
              dockerfile: looseText(build["dockerfile"], "Dockerfile"),
            },
      ports: looseList(service["ports"]).map((p) => {
        const port = looseObject(p);
        const published = port["published"] === undefined ? undefined : Number(port["published"]);
        return {
          hostIp: typeof port["host_ip"] === "string" ? port["host_ip"] : "",
          published: Number.isFinite(published) ? published : undefined,
          target: Number(port["target"]),
          protocol: looseText(port["protocol"], "tcp"),
        };
      }),
      networks: Array.isArray(networks) ? networks.map(String) : Object.keys(looseObject(networks)),
      networkMode: typeof service["network_mode"] === "string" ? service["network_mode"] : undefined,
      volumes: looseList(service["volumes"]).map((v) => {
        const volume = looseObject(v);
        return {
          type: looseText(volume["type"], "volume"),
          source: typeof volume["source"] === "string" ? volume["source"] : undefined,
          target: looseText(volume["target"], ""),
        };
      }),
      profiles: looseList(service["profiles"]).map(String),
      dependsOn: Array.isArray(service["depends_on"])
        ? service["depends_on"].map(String)
        : Object.keys(looseObject(service["depends_on"])),
      command: words(service["command"]),
      environment: new Map(
        Object.entries(looseObject(service["environment"])).map(([k, v]) => [k, looseText(v)]),
      ),
      restart: typeof service["restart"] === "string" ? service["restart"] : undefined,
      containerName: typeof service["container_name"] === "string" ? service["container_name"] : undefined,
      extraHosts: Array.isArray(service["extra_hosts"])
        ? service["extra_hosts"].map(String)
        : Object.entries(looseObject(service["extra_hosts"])).map(([host, ip]) => `${host}:${looseText(ip)}`),
    });
  }
  const networks = new Map(
    Object.entries(looseObject(config["networks"])).map(([name, raw]) => {
      const network = looseObject(raw);
      return [
        name,
        { internal: network["internal"] === true, external: network["external"] === true },
      ] as const;
    }),
  );
  return { name: looseText(config["name"], ""), services, networks };
}

/**
 * The services `docker compose up -d <named>` starts: the named ones and, transitively, what they
 * depend on (compose starts dependencies too, even those behind a profile).
 */
export function startedBy(model: ComposeModel, named: readonly string[]): Set<string> {
  const started = new Set<string>();
  const visit = (name: string) => {
    if (started.has(name) || !model.services.has(name)) return;
    started.add(name);
    for (const dependency of model.services.get(name)?.dependsOn ?? []) visit(dependency);
  };
  for (const name of named) visit(name);
  return started;
}

/** The services a plain `docker compose up -d` starts: every one without a profile, and their dependencies. */
export function startedByDefault(model: ComposeModel): Set<string> {
  return startedBy(
    model,
    [...model.services.values()].filter((s) => s.profiles.length === 0).map((s) => s.name),
  );
}
