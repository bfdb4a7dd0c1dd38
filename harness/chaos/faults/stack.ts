import { healedBy, type Fault } from "../fault.ts";

/**
 * The whole deployment stopped, as before a start from scratch (a maintenance, a host brought back by
 * hand): the systemd units, then the compose services (containers kept). The scenario starts it again
 * in the runbook's order; the heal does too if it did not.
 */
export const deploymentStopped: Fault = {
  name: "the deployment stopped (systemd units, then docker compose stop)",
  async inject(stack) {
    await stack.host.run(`systemctl stop ${stack.deployment.services.join(" ")}`);
    await stack.composeEveryProfile("stop", { timeoutMs: 5 * 60_000 });
  },
  async prove(stack) {
    const running = (await stack.compose("ps --status running --format {{.Service}}")).stdout.trim();
    const units = await stack.host.run(`systemctl is-active ${stack.deployment.services.join(" ")}`, {
      check: false,
    });
    if (running !== "" || units.stdout.split("\n").some((state) => state.trim() === "active"))
      throw new Error(`still running: ${[running, units.stdout.trim()].filter(Boolean).join("; ")}`);
    return `no compose service running; units ${units.stdout.trim().split("\n").join(", ")}`;
  },
  ...healedBy(
    (stack) =>
      `cd ${stack.root} && ${stack.composeUpCommand} && systemctl start ${stack.deployment.services.join(" ")}`,
    { timeoutMs: 5 * 60_000 },
  ),
};
