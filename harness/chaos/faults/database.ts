import type { Stack } from "../../stack/stack.ts";
import { healedBy, type Fault } from "../fault.ts";

/** The database's compose service, by the checkout's name. */
const dbOf = (stack: Stack) => stack.deployment.service("db") ?? "db";

/**
 * Where the reboot fault keeps the database container's own restart policy while it is off: on disk
 * (the host reboots), removed by the heal, which puts that policy back (the stack's, not a guess).
 */
const SAVED_POLICY = "/var/lib/sattva-chaos-db-restart-policy";

/**
 * The host reboots and PostgreSQL is not accepting connections when systemd starts the backend (as on
 * a VPS where the database recovers slowly): the container is kept from restarting with the boot and
 * is started later by the scenario, standing in for the slow database.
 */
export const postgresLateAfterReboot: Fault = {
  name: "host rebooted, PostgreSQL not up when the backend starts",
  async inject(stack) {
    const container = stack.containerOf(dbOf(stack));
    await stack.host.run(
      `docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' ${container} > ${SAVED_POLICY} && docker update --restart=no ${container}`,
    );
    await stack.host.reboot();
  },
  async prove(stack) {
    const db = dbOf(stack);
    const state = await stack.containerState(db);
    const unit = stack.deployment.unit("backend");
    const backend = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    if (state === "running") throw new Error(`${db} is running`);
    return `after the reboot: ${db} ${state}, ${unit} ${backend}`;
  },
  ...healedBy((stack) => {
    const db = dbOf(stack);
    return (
      `if [ -s ${SAVED_POLICY} ]; then docker update --restart="$(cat ${SAVED_POLICY})" ${stack.containerOf(db)} && rm -f ${SAVED_POLICY}; fi && ` +
      stack.composeCommand(`up -d ${db}`)
    );
  }),
};

/** PostgreSQL stopped under the running backend (the first half of a restart; the scenario starts it again). */
export const postgresStopped: Fault = {
  name: "PostgreSQL stopped while the backend runs (docker compose stop db)",
  async inject(stack) {
    await stack.compose(`stop ${dbOf(stack)}`);
  },
  async prove(stack) {
    const db = dbOf(stack);
    const state = await stack.containerState(db);
    if (state === "running") throw new Error(`${db} is still running`);
    return `${db} ${state}`;
  },
  ...healedBy((stack) => stack.composeCommand(`up -d ${dbOf(stack)}`)),
};
