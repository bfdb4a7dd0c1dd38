// A harness killed mid-scenario cannot heal its faults: the host's dead-man switch must, within its
// interval, and `clean` must then remove the host the dead harness left on this machine.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";
import { docker } from "../docker/docker-cli.ts";
import { ExitCode } from "../errors.ts";
import { sattvaChaos } from "../testing/cli.ts";
import { hostResources } from "../testing/host-resources.ts";
import { ENV_DIGEST } from "../testing/machine-state.ts";
import { until } from "../waits/wait.ts";
import { DEAD_MAN_TIMING, LIST_DEAD_MAN_SWITCHES } from "./dead-man-switch.ts";

const HOLD_FAULT = fileURLToPath(new URL("../testing/hold-fault.ts", import.meta.url));
let harness: ChildProcess | undefined;

afterAll(() => harness?.kill("SIGKILL"));

/** Runs a command in the host container, as the dead harness would have. */
async function onHost(host: string, command: string): Promise<string> {
  return (await docker(["exec", host, "bash", "-c", command], { check: false })).stdout.trim();
}

const toxicsOnHost = (host: string) =>
  onHost(
    host,
    "curl -fsS -m 5 http://127.0.0.1:8474/proxies/backend-postgres | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[\"toxics\"]))'",
  );
const apiHealth = (host: string) =>
  onHost(host, "curl -s -o /dev/null -m 10 -w '%{http_code}' http://127.0.0.1:3000/api/health");
const deadManSwitches = (host: string) => onHost(host, LIST_DEAD_MAN_SWITCHES);

/** The first `count` lines a child prints on its stdout. */
async function firstLines(child: ChildProcess, count: number): Promise<string[]> {
  const lines: string[] = [];
  if (child.stdout === null) return lines;
  for await (const line of createInterface({ input: child.stdout })) {
    lines.push(line.trim());
    if (lines.length === count) break;
  }
  return lines;
}

it("after a SIGKILL mid-fault in chaos mode, the dead-man switches heal the fault and revert chaos mode; `clean` removes the host", async () => {
  const child = spawn(process.execPath, [HOLD_FAULT], { stdio: ["ignore", "pipe", "inherit"] });
  harness = child;
  const [envBefore = "", refusal = "", host = ""] = await firstLines(child, 3);
  expect(refusal, "chaos mode is not applied twice").toMatch(
    /^chaos mode is applied on sattva-chaos-host-\w+ already \(found .*sattva-chaos-toxiproxy\.conf, \/opt\/sattva-streamer\/\.sattva-chaos\): .*nothing was changed/,
  );
  expect(host, "the harness deployed the stack and injected the partition").toMatch(/^sattva-chaos-host-/);
  expect(await toxicsOnHost(host), "the partition's two toxics are in place").toBe("2");
  expect(await apiHealth(host)).toBe("503");
  expect(await deadManSwitches(host)).toContain("sattva-chaos-dead-man-");

  child.kill("SIGKILL");
  await once(child, "exit");
  const killedAt = performance.now();
  // Each switch fires once no beat came for its grace period, looking every checkSeconds, heals and
  // removes itself: the fault's heals the partition, chaos mode's reverts chaos mode (toxiproxy too).
  const { graceSeconds, checkSeconds } = DEAD_MAN_TIMING;
  await until(
    "the dead-man switches to fire and remove themselves",
    async () => {
      const left = await deadManSwitches(host);
      return { ready: left === "", detail: `still there: ${left}` };
    },
    500,
  ).waitUntilReady((graceSeconds + 2 * checkSeconds + 60) * 1000);
  process.stderr.write(`healed ${((performance.now() - killedAt) / 1000).toFixed(1)} s after the SIGKILL\n`);
  await until(
    "/api/health to answer 200 again",
    async () => {
      const status = await apiHealth(host);
      return { ready: status === "200", detail: `status ${status}` };
    },
    1_000,
  ).waitUntilReady(60_000);
  // Chaos mode is gone as a whole: what it added, and only that.
  expect(
    await onHost(host, "ls /etc/systemd/system/*.d/sattva-chaos-* /opt/sattva-streamer/.sattva-chaos 2>&1"),
  ).toMatch(/No such file or directory/);
  expect(await onHost(host, ENV_DIGEST), "the stack's .env as it was, byte for byte").toBe(envBefore);
  expect(await onHost(host, "docker ps -a --format '{{.Names}}' | grep toxiproxy || echo none")).toBe("none");
  expect(
    await onHost(host, "systemctl show -p Environment --value sattva-backend sattva-streamer"),
    "the services on their own URLs again",
  ).not.toMatch(/:1[0-9]{4}\b/);
  await onHost(host, "cd /opt/sattva-streamer && docker compose restart");
  await until(
    "/api/health to answer 200 after a compose restart",
    async () => {
      const status = await apiHealth(host);
      return { ready: status === "200", detail: `status ${status}` };
    },
    1_000,
  ).waitUntilReady(60_000);

  const cleaned = await sattvaChaos(["clean"]);
  expect(cleaned.exitCode, cleaned.stderr).toBe(ExitCode.passed);
  expect(cleaned.stderr).toContain(host);
  expect(Object.values(await hostResources(host)).flat()).toEqual([]);
});
