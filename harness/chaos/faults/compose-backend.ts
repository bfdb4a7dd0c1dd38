import type { CommandResult } from "../../host/command.ts";
import type { Stack } from "../../stack/stack.ts";
import { listenersOn } from "../../probes/ports.ts";
import { healedBy, type Fault } from "../fault.ts";
import { STACK_ROOT } from "../../stack/stack-layout.ts";

const CONTAINER = "sattva-streamer-backend-1";

/** The compose backend container's state ("created", "running", "exited"), or "absent". */
export async function composeBackendState(stack: Stack): Promise<string> {
  const inspect = await stack.host.run(`docker inspect -f '{{.State.Status}}' ${CONTAINER}`, {
    check: false,
  });
  return inspect.exitCode === 0 ? inspect.stdout.trim() : "absent";
}

/** Puts everything back as documented: no compose backend, the documented compose services up, units active. */
const restoreDocumentedTopology = healedBy(
  (stack) =>
    `cd ${STACK_ROOT} && docker compose rm -s -f backend && ${stack.composeUpCommand} && ` +
    "(systemctl is-active --quiet sattva-backend || systemctl restart sattva-backend)",
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
    // The runbook's own command, run verbatim as the fault: the coverage table counts it.
    params: { runbookCommand: command },
    result: () => result,
    async inject(stack) {
      await stack.ensureComposeBackendImage();
      result = await stack.run(command, { check: false, timeoutMs: 5 * 60_000 });
    },
    async prove(stack) {
      const state = await composeBackendState(stack);
      if (state === "absent") throw new Error(`\`${command}\` created no backend container`);
      return `${CONTAINER} ${state}; \`${command}\` exited ${result?.exitCode ?? "?"}`;
    },
    ...restoreDocumentedTopology,
  };
}

/**
 * The compose backend takes :8000 while the systemd backend is down (a restart, a deploy), then
 * systemd starts its backend: uvicorn cannot bind and Restart=always loops it.
 */
export const composeBackendTakesPortFirst: Fault = {
  name: "compose backend holds :8000 when systemd starts sattva-backend",
  async inject(stack) {
    await stack.ensureComposeBackendImage();
    await stack.host.run("systemctl stop sattva-backend");
    await stack.run("docker compose up -d backend");
    await stack.host.run("systemctl start sattva-backend");
  },
  async prove(stack) {
    const state = await composeBackendState(stack);
    const owners = await listenersOn(stack.host, 8000);
    if (state !== "running" || !owners.some((l) => l.command === "docker-proxy")) {
      throw new Error(
        `${CONTAINER} ${state}; :8000 owners: ${owners.map((l) => l.command).join(", ") || "none"}`,
      );
    }
    return `${CONTAINER} running; docker-proxy owns :8000`;
  },
  ...restoreDocumentedTopology,
};
