/** Environment variables through which `sattva-chaos run` configures the scenario files it starts. */
export const RunEnv = {
  target: "SATTVA_CHAOS_TARGET",
  stack: "SATTVA_CHAOS_STACK",
  imageMode: "SATTVA_CHAOS_IMAGE_MODE",
  reportDir: "SATTVA_CHAOS_REPORT_DIR",
} as const;
