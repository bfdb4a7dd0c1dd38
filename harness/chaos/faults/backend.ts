import { describeListeners, listenersOn } from "../../probes/ports.ts";
import { healedBy, type Fault } from "../fault.ts";

const UNIT = "sattva-backend";
const LOOPBACK_DROP_IN = `/etc/systemd/system/${UNIT}.service.d/sattva-chaos-loopback.conf`;

const startIfInactive = `systemctl is-active --quiet ${UNIT} || systemctl start ${UNIT}`;

/** The backend stopped by hand: nothing listens on :8000 until someone starts it. */
export const backendStopped: Fault = {
  name: "sattva-backend stopped (systemctl stop)",
  async inject(stack) {
    await stack.host.run(`systemctl stop ${UNIT}`);
  },
  async prove(stack) {
    const state = (await stack.host.run(`systemctl is-active ${UNIT}`, { check: false })).stdout.trim();
    const listeners = describeListeners(await listenersOn(stack.host, 8000));
    if (state === "active" || listeners !== "nothing")
      throw new Error(`${UNIT} is ${state}, :8000 held by ${listeners}`);
    return `${UNIT} ${state}; nothing listens on :8000`;
  },
  ...healedBy(startIfInactive),
};

/** The backend's process killed with SIGKILL, as a crash: systemd's Restart=always is what brings it back. */
export function backendKilled(): Fault & { killedPid: () => string } {
  let pid = "";
  return {
    name: "sattva-backend main process killed (kill -9)",
    killedPid: () => pid,
    async inject(stack) {
      pid = (await stack.host.run(`systemctl show -p MainPID --value ${UNIT}`)).stdout.trim();
      await stack.host.run(`kill -9 ${pid}`);
    },
    async prove(stack) {
      // Dead but not yet reaped by systemd, a process is a zombie for a moment: wait for it to go.
      const gone = await stack.host.run(
        `for _ in $(seq 1 50); do [ -d /proc/${pid} ] && ! grep -q '^State:.*Z' /proc/${pid}/status 2>/dev/null || exit 0; sleep 0.1; done; exit 1`,
        { check: false },
      );
      if (gone.exitCode !== 0) throw new Error(`process ${pid} is still alive 5 s after kill -9`);
      return `process ${pid} is gone`;
    },
    ...healedBy(startIfInactive),
  };
}

/**
 * The backend bound to 127.0.0.1 only (a drop-in overriding ExecStart): curl on the host works, but
 * nginx, in Docker, reaches the host at 172.17.0.1 and is refused.
 */
export const backendLoopbackOnly: Fault = {
  name: "sattva-backend listening on 127.0.0.1 only (drop-in)",
  async inject(stack) {
    const execStart = (await stack.host.run(`systemctl show -p ExecStart --value ${UNIT}`)).stdout;
    const argv = /argv\[\]=([^;]+);/.exec(execStart)?.[1]?.trim();
    if (argv === undefined || !argv.includes("--host 0.0.0.0"))
      throw new Error(`unexpected ExecStart: ${execStart}`);
    const dropIn = `[Service]\nExecStart=\nExecStart=${argv.replace("--host 0.0.0.0", "--host 127.0.0.1")}\n`;
    await stack.host.run(`mkdir -p $(dirname ${LOOPBACK_DROP_IN}) && cat > ${LOOPBACK_DROP_IN}`, {
      input: dropIn,
    });
    await stack.host.run(`systemctl daemon-reload && systemctl restart ${UNIT}`);
  },
  async prove(stack) {
    let listeners = "nothing";
    for (let attempt = 0; attempt < 40 * stack.host.slowdown && listeners === "nothing"; attempt++) {
      listeners = describeListeners(await listenersOn(stack.host, 8000));
      if (listeners === "nothing") await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (listeners !== "127.0.0.1:8000") throw new Error(`:8000 listeners: ${listeners}`);
    return `:8000 listeners: ${listeners}`;
  },
  ...healedBy(
    `if [ -e ${LOOPBACK_DROP_IN} ]; then rm -f ${LOOPBACK_DROP_IN} && systemctl daemon-reload && systemctl restart ${UNIT}; fi; ${startIfInactive}`,
  ),
};
