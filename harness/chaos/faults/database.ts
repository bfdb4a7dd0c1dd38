import { STACK_ROOT } from "../../stack/stack-layout.ts";
import { healedBy, type Fault } from "../fault.ts";

const DB = "sattva-streamer-db-1";

async function dbRunning(run: (script: string) => Promise<{ stdout: string }>): Promise<string> {
  return (await run(`docker inspect -f '{{.State.Status}}' ${DB} 2>&1 || true`)).stdout.trim();
}

/**
 * The host reboots and PostgreSQL is not accepting connections when systemd starts the backend (as on
 * a VPS where the database recovers slowly): the container is kept from restarting with the boot and
 * is started later by the scenario, standing in for the slow database.
 */
export const postgresLateAfterReboot: Fault = {
  name: "host rebooted, PostgreSQL not up when the backend starts",
  async inject(stack) {
    await stack.host.run(`docker update --restart=no ${DB}`);
    await stack.host.reboot();
  },
  async prove(stack) {
    const db = await dbRunning((s) => stack.host.run(s));
    const backend = (
      await stack.host.run("systemctl is-active sattva-backend", { check: false })
    ).stdout.trim();
    if (db === "running") throw new Error(`${DB} is running`);
    return `after the reboot: ${DB} ${db}, sattva-backend ${backend}`;
  },
  ...healedBy(`docker update --restart=unless-stopped ${DB} && cd ${STACK_ROOT} && docker compose up -d db`),
};

/** PostgreSQL stopped under the running backend (the first half of a restart; the scenario starts it again). */
export const postgresStopped: Fault = {
  name: "PostgreSQL stopped while the backend runs (docker compose stop db)",
  async inject(stack) {
    await stack.run("docker compose stop db");
  },
  async prove(stack) {
    const db = await dbRunning((s) => stack.host.run(s));
    if (db === "running") throw new Error(`${DB} is still running`);
    return `${DB} ${db}`;
  },
  ...healedBy(`cd ${STACK_ROOT} && docker compose up -d db`),
};
