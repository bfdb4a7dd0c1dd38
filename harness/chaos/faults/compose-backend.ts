import type { CommandResult } from "../../host/command.ts";
import type { Stack } from "../../stack/stack.ts";
import { listenersOn } from "../../probes/ports.ts";
import { healedBy, type Fault } from "../fault.ts";

/** The compose backend's service and the systemd backend's unit, by the checkout's names. */
const namesOf = (stack: Stack) => ({
  service: stack.deployment.service("backend") ?? "backend",
  unit: stack.deployment.unit("backend"),
});

/**
 * The runbook's conflict needs its compose file's `backend` (8000:8000) beside the systemd one: a
 * checkout whose compose files define none cannot have it.
 */
function withoutComposeBackend(stack: Stack): string | undefined {
  const { service } = namesOf(stack);
  return stack.deployment.composeImages.some((c) => c.service === service)
    ? undefined
    : `the checkout's compose files define no backend service (the runbook's \`backend\`, published on :${stack.deployment.profile.backend.port}): the conflict with the systemd backend cannot happen here`;
}

/** The compose backend container's state ("created", "running", "exited"), or "absent". */
export function composeBackendState(stack: Stack): Promise<string> {
  return stack.containerState(namesOf(stack).service);
}

/** Puts everything back as documented: no compose backend, the documented compose services up, units active. */
const restoreDocumentedTopology = healedBy(
  (stack) => {
    const { service, unit } = namesOf(stack);
    return (
      `${stack.composeCommand(`rm -s -f ${service}`)} && ${stack.composeCommand(stack.composeUpArgs)} && ` +
      `(systemctl is-active --quiet ${unit} || systemctl restart ${unit})`
    );
  },
  { timeoutMs: 5 * 60_000 },
);

/**
 * One of the commands the runbook forbids ("Что НЕ делать") or its own full restart, run verbatim while
 * the systemd backend runs. `result` is what the command said (the compose error, if any).
 */
export function composeCommandWhileSystemdRuns(
  command: string,
): Fault & { result: () => CommandResult | undefined } {
  let result: CommandResult | undefined;
  return {
    name: `\`${command}\` while the systemd backend runs`,
    // The runbook's own command, run as the fault (by this checkout's names, as ChaosRun.runbook
    // types it, and the journal says so): the coverage table counts it.
    params: { runbookCommand: command },
    result: () => result,
    cannotApply: withoutComposeBackend,
    async inject(stack) {
      await stack.ensureComposeBackendImage();
      const typed = stack.terms.translate(command).text;
      result = await stack.run(typed, { check: false, timeoutMs: 5 * 60_000 });
    },
    async prove(stack) {
      const state = await composeBackendState(stack);
      if (state === "absent") throw new Error(`\`${command}\` created no backend container`);
      return `compose ${namesOf(stack).service} ${state}; \`${command}\` exited ${result?.exitCode ?? "?"}`;
    },
    ...restoreDocumentedTopology,
  };
}

/**
 * The compose backend takes the backend's port while the systemd backend is down (a restart, a
 * deploy), then systemd starts its backend: uvicorn cannot bind and Restart=always loops it.
 */
export const composeBackendTakesPortFirst: Fault = {
  name: "the compose backend holds the backend's port when systemd starts its backend",
  cannotApply: withoutComposeBackend,
  async inject(stack) {
    const { service, unit } = namesOf(stack);
    await stack.ensureComposeBackendImage();
    await stack.host.run(`systemctl stop ${unit}`);
    await stack.compose(`up -d ${service}`);
    await stack.host.run(`systemctl start ${unit}`);
  },
  async prove(stack) {
    const { service } = namesOf(stack);
    const port = stack.deployment.profile.backend.port;
    const state = await composeBackendState(stack);
    const owners = await listenersOn(stack.host, port);
    if (state !== "running" || !owners.some((l) => l.command === "docker-proxy")) {
      throw new Error(
        `compose ${service} ${state}; :${port} owners: ${owners.map((l) => l.command).join(", ") || "none"}`,
      );
    }
    return `compose ${service} running; docker-proxy owns :${port}`;
  },
  ...restoreDocumentedTopology,
};
