import type { Check, Finding } from "../findings/finding.ts";
import type { CronEntry } from "../parse/crontab.ts";
import type { NginxDirective } from "../parse/nginx-conf.ts";
import type { UnitFile } from "../parse/unit-file.ts";
import type { YamlFile } from "../parse/yaml-file.ts";
import type { Profile, RunbookService } from "../profile/profile.ts";
import type { Checkout, CheckoutText, UnitRole } from "./checkout.ts";
import type { ComposeModel } from "./compose-model.ts";
import type { HostValidation, ToolRun } from "./validators.ts";

/** Everything the checks read: the checkout's parts, parsed, and what the validators said of them. */
export interface AuditContext {
  readonly checkout: Checkout;
  readonly profile: Profile;
  /** The units playing the runbook's parts, where the checkout has them. */
  readonly units: ReadonlyMap<UnitRole, UnitFile>;
  /** Every unit file in the checkout. */
  readonly allUnits: readonly UnitFile[];
  readonly compose: {
    readonly files: readonly YamlFile[];
    /** Undefined when there is no compose file or `docker compose config` refused it. */
    readonly model: ComposeModel | undefined;
    /** Env files the compose files reference that the checkout lacks (relative paths). */
    readonly missingEnvFiles: readonly string[];
  };
  readonly nginx:
    | {
        readonly file: string;
        readonly directives: readonly NginxDirective[] | undefined;
        readonly error?: string;
      }
    | undefined;
  readonly prometheus: YamlFile | undefined;
  readonly rules: readonly YamlFile[];
  readonly alertmanager: YamlFile | undefined;
  readonly updateScript: CheckoutText | undefined;
  /** Cron entries that run the yt-dlp update. */
  readonly updateCron: readonly CronEntry[];
  /** The Dockerfiles compose builds from, by checkout path. */
  readonly dockerfiles: ReadonlyMap<string, string>;
  /** Each env example in the checkout, with the variables it leaves for someone to fill. */
  readonly envExamples: ReadonlyMap<string, readonly string[]>;
  /** Variable names set in the checkout's root `.env` (compose reads COMPOSE_FILE and friends there). */
  readonly rootEnv: ReadonlySet<string>;
  /** Variables compose warned are not set (it used an empty string). */
  readonly composeWarnings: readonly string[];
  readonly host: HostValidation;
  /** The other validators' runs, by tool (nginx, promtool, promtool-rules, amtool, shellcheck). */
  readonly tools: ReadonlyMap<string, ToolRun>;
  /** Maps a path inside the container of a runbook service to the checkout file mounted there. */
  readonly mountedFrom: (service: RunbookService, containerPath: string) => string | undefined;
}

/** A check of the audit: its findings, or the reason it cannot run on this checkout. */
export interface AuditCheck extends Check {
  run(context: AuditContext): readonly Finding[] | { readonly skipped: string };
}
