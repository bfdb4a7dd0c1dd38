import { describeListeners, listenersOn } from "../../probes/ports.ts";
import type { Stack } from "../../stack/stack.ts";
import { healedBy, type Fault } from "../fault.ts";

/** The backend's unit and port, by the checkout's names (sattva-backend.service and 8000 by the runbook). */
const backendOf = (stack: Stack) => ({
  unit: stack.deployment.unit("backend"),
  port: stack.deployment.profile.backend.port,
});

const loopbackDropIn = (unit: string) => `/etc/systemd/system/${unit}.d/sattva-chaos-loopback.conf`;

const startIfInactive = (stack: Stack) => {
  const { unit } = backendOf(stack);
  return `systemctl is-active --quiet ${unit} || systemctl start ${unit}`;
};

/** The backend stopped by hand: nothing listens on its port until someone starts it. */
export const backendStopped: Fault = {
  name: "the backend's unit stopped (systemctl stop)",
  async inject(stack) {
    await stack.host.run(`systemctl stop ${backendOf(stack).unit}`);
  },
  async prove(stack) {
    const { unit, port } = backendOf(stack);
    const state = (await stack.host.run(`systemctl is-active ${unit}`, { check: false })).stdout.trim();
    const listeners = describeListeners(await listenersOn(stack.host, port));
    if (state === "active" || listeners !== "nothing")
      throw new Error(`${unit} is ${state}, :${port} held by ${listeners}`);
    return `${unit} ${state}; nothing listens on :${port}`;
  },
  ...healedBy(startIfInactive),
};

/** The backend's process killed with SIGKILL, as a crash: systemd's Restart=always is what brings it back. */
export function backendKilled(): Fault & { killedPid: () => string } {
  let pid = "";
  return {
    name: "the backend's main process killed (kill -9)",
    killedPid: () => pid,
    async inject(stack) {
      pid = (
        await stack.host.run(`systemctl show -p MainPID --value ${backendOf(stack).unit}`)
      ).stdout.trim();
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
  name: "the backend listening on 127.0.0.1 only (drop-in)",
  async inject(stack) {
    const { unit } = backendOf(stack);
    const execStart = (await stack.host.run(`systemctl show -p ExecStart --value ${unit}`)).stdout;
    const argv = /argv\[\]=([^;]+);/.exec(execStart)?.[1]?.trim();
    // Whatever address it binds (`--host 0.0.0.0`, `--host=::`, `-b 0.0.0.0:8000`), loopback instead.
    const rebound = argv
      ?.replace(/(--host[= ])\S+/, "$1127.0.0.1")
      .replace(/((?:--bind|-b)[= ])\S*:(\d+)/, "$1127.0.0.1:$2");
    if (argv === undefined || rebound === argv)
      throw new Error(`${unit}'s ExecStart gives no address to rebind to 127.0.0.1: ${execStart}`);
    const dropIn = `[Service]\nExecStart=\nExecStart=${rebound ?? ""}\n`;
    await stack.host.run(`mkdir -p $(dirname ${loopbackDropIn(unit)}) && cat > ${loopbackDropIn(unit)}`, {
      input: dropIn,
    });
    await stack.host.run(`systemctl daemon-reload && systemctl restart ${unit}`);
  },
  async prove(stack) {
    const { port } = backendOf(stack);
    let listeners = "nothing";
    for (let attempt = 0; attempt < 40 * stack.host.slowdown && listeners === "nothing"; attempt++) {
      listeners = describeListeners(await listenersOn(stack.host, port));
      if (listeners === "nothing") await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (listeners !== `127.0.0.1:${port}`) throw new Error(`:${port} listeners: ${listeners}`);
    return `:${port} listeners: ${listeners}`;
  },
  ...healedBy((stack) => {
    const { unit } = backendOf(stack);
    const dropIn = loopbackDropIn(unit);
    return `if [ -e ${dropIn} ]; then rm -f ${dropIn} && systemctl daemon-reload && systemctl restart ${unit}; fi; ${startIfInactive(stack)}`;
  }),
};
