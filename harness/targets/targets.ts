import { UsageError } from "../errors.ts";
import { ContainerTarget } from "./container/container-target.ts";
import { KEPT_HOST_NAME, KeptContainerTarget } from "./container/kept-container-target.ts";
import { parseSshAddress } from "./ssh/ssh-address.ts";
import { SshTarget, type SshTargetOptions } from "./ssh/ssh-target.ts";
import type { Target } from "./target.ts";
import { VagrantTarget } from "./vagrant/vagrant-target.ts";

const TARGETS = {
  container: () => new ContainerTarget(),
  vagrant: () => new VagrantTarget(),
} satisfies Record<string, () => Target>;

export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];
/** How `--target` is written, for usage lines and messages. */
export const TARGET_CHOICES = `${TARGET_NAMES.join("|")}|ssh://user@host[:port]|HOST`;

/** Options only some targets read (an ssh target's key); the others ignore them. */
export type TargetOptions = SshTargetOptions;

/**
 * The target named on the command line (`--target`) or in SATTVA_CHAOS_TARGET; HOST is the name of a
 * host container left up by `up` or `run --keep`.
 */
export function createTarget(spec: string, options: TargetOptions = {}): Target {
  if (spec.startsWith("ssh://")) return new SshTarget(parseSshAddress(spec), options);
  if (KEPT_HOST_NAME.test(spec)) return new KeptContainerTarget(spec);
  if (spec in TARGETS) return TARGETS[spec as TargetName]();
  throw new UsageError(
    `unknown target "${spec}": expected one of ${[...TARGET_NAMES, "ssh://user@host[:port]"].join(", ")}, ` +
      "or the name of a host left up by `up` or `run --keep` (sattva-chaos-host-…)",
  );
}
