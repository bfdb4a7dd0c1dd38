import { oneOf } from "../errors.ts";
import { ContainerTarget } from "./container/container-target.ts";
import type { Target } from "./target.ts";

const TARGETS = {
  container: () => new ContainerTarget(),
} satisfies Record<string, () => Target>;

export type TargetName = keyof typeof TARGETS;
export const TARGET_NAMES = Object.keys(TARGETS) as TargetName[];

/** The target named on the command line (`--target`) or in SATTVA_CHAOS_TARGET. */
export function createTarget(name: string): Target {
  return TARGETS[oneOf("target", name, TARGET_NAMES)]();
}
