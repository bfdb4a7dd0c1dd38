import { oneOf } from "../errors.ts";
import { ContainerTarget } from "./container/container-target.ts";
import type { Target } from "./target.ts";

export const TARGET_NAMES = ["container"] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** The target named on the command line (`--target`) or in SATTVA_CHAOS_TARGET. */
export function createTarget(name: string): Target {
  switch (oneOf("target", name, TARGET_NAMES)) {
    case "container":
      return new ContainerTarget();
  }
}
