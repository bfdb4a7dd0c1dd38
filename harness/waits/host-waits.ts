import type { Host } from "../host/host.ts";
import { forAll, until, type Wait } from "./wait.ts";

/** systemd finished booting with no failed unit (`systemctl is-system-running` = running). */
export function forSystemRunning(host: Host): Wait {
  return until(`systemd on ${host.name} to be running`, async () => {
    const state = (
      await host.run("systemctl is-system-running", { check: false, timeoutMs: 10_000 })
    ).stdout.trim();
    if (state === "degraded") {
      const failed = await host.run("systemctl --failed --no-legend --plain", { check: false });
      return { ready: false, detail: `degraded; failed units: ${failed.stdout.trim()}` };
    }
    return { ready: state === "running", detail: state || "no answer" };
  });
}

/** The host's own Docker engine answers. */
export function forInnerDocker(host: Host): Wait {
  return until(`the Docker engine inside ${host.name}`, async () => {
    const info = await host.run("docker info --format '{{.ServerVersion}}'", {
      check: false,
      timeoutMs: 10_000,
    });
    return { ready: info.exitCode === 0, detail: info.stderr.trim() || info.stdout.trim() };
  });
}

/** A host is ready when systemd reports `running` and its Docker engine answers. */
export function hostReady(host: Host): Wait {
  return forAll(forSystemRunning(host), forInnerDocker(host));
}
