import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docker } from "../../docker/docker-cli.ts";
import type { Host } from "../../host/host.ts";
import { withTempDir } from "../../lifecycle/temp-dir.ts";
import { ensureImages, type ResolvedImage } from "../../images/image-builder.ts";
import { hostResources } from "../../testing/host-resources.ts";
import { until } from "../../waits/wait.ts";
import { ContainerTarget, hostTemplateFor } from "./container-target.ts";
import { machineResolver } from "./resolver.ts";

/** This machine's cgroup mounts with their options: booting hosts must leave them exactly as they were. */
async function cgroupMounts(): Promise<string[]> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  return mountinfo
    .split("\n")
    .map((line) => line.split(" "))
    .filter((fields) => fields[4]?.startsWith("/sys/fs/cgroup") === true)
    .map((fields) => `${fields[4]} ${fields[5]}`)
    .sort();
}

const PROBE_PORT = 8000;

describe("container target", () => {
  const target = new ContainerTarget();
  let cgroupBefore: string[];
  let nginxImage: string;
  let nginx: ResolvedImage;
  let hosts: Host[] = [];
  let host: Host;

  beforeAll(async () => {
    cgroupBefore = await cgroupMounts();
    const images = await ensureImages({ mode: "offline", services: ["nginx"] });
    const resolved = images.get("nginx");
    if (resolved?.ref === undefined) throw new Error("the nginx image is missing");
    nginx = resolved;
    nginxImage = resolved.ref;
    // Two hosts booted at once must not collide (names, networks, ports).
    const settled = await Promise.allSettled([
      target.start({ images: [nginx], ports: [PROBE_PORT] }),
      target.start({ ports: [PROBE_PORT] }),
    ]);
    hosts = settled.flatMap((result) => (result.status === "fulfilled" ? [result.value] : []));
    for (const result of settled) if (result.status === "rejected") throw result.reason;
    [host] = hosts as [Host, Host];
  });

  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.dispose()));
    // The engine template for this test's one image goes with it; the suite's own stays, a cache.
    await (await hostTemplateFor({ images: [nginx] }))?.remove();
  });

  it("boots two hosts in parallel, both running with no failed unit", async () => {
    expect(new Set(hosts.map((h) => h.name)).size).toBe(2);
    for (const h of hosts) {
      expect((await h.run("systemctl is-system-running")).stdout.trim()).toBe("running");
      expect((await h.run("systemctl --failed --no-legend --plain")).stdout.trim()).toBe("");
    }
    expect(hosts[0]?.url(PROBE_PORT)).not.toBe(hosts[1]?.url(PROBE_PORT));
  });

  it("runs containers on the host's own Docker engine", async () => {
    const inner = await host.run(`docker run --rm ${nginxImage} nginx -v`);
    expect(inner.stderr).toMatch(/nginx version: nginx\//);
  });

  it("brings a Restart=always unit back after kill -9 of its main PID (NRestarts rises)", async () => {
    await host.run(
      "systemd-run --unit=probe-restart --property=Restart=always --property=RestartSec=1 sleep infinity",
    );
    const show = async (property: string) =>
      (await host.run(`systemctl show -p ${property} --value probe-restart`)).stdout.trim();
    const firstPid = await show("MainPID");
    expect(Number(firstPid)).toBeGreaterThan(0);
    expect(await show("NRestarts")).toBe("0");

    await host.run(`kill -9 ${firstPid}`);
    await until("probe-restart to be restarted by systemd", async () => {
      const [restarts, state, pid] = [
        await show("NRestarts"),
        await show("ActiveState"),
        await show("MainPID"),
      ];
      return {
        ready: Number(restarts) >= 1 && state === "active" && pid !== firstPid && pid !== "0",
        detail: `NRestarts=${restarts} ActiveState=${state} MainPID=${pid}`,
      };
    }).waitUntilReady(30_000);
  });

  it("lets an inner container reach a host service at http://172.17.0.1:<port>, and the harness reach it too", async () => {
    await host.run(
      `mkdir -p /srv/probe && echo host-service-${host.name} > /srv/probe/marker && ` +
        `systemd-run --unit=probe-http python3 -m http.server ${PROBE_PORT} --bind 0.0.0.0 --directory /srv/probe`,
    );
    const marker = `host-service-${host.name}`;
    await until("the probe HTTP service", async () => {
      const probe = await host.run(`curl -fsS http://127.0.0.1:${PROBE_PORT}/marker`, { check: false });
      return { ready: probe.exitCode === 0, detail: probe.stderr };
    }).waitUntilReady(30_000);

    const fromInner = await host.run(
      `docker run --rm ${nginxImage} wget -q -O- http://172.17.0.1:${PROBE_PORT}/marker`,
    );
    expect(fromInner.stdout.trim()).toBe(marker);

    const fromHarness = await request(host.url(PROBE_PORT, "/marker"));
    expect(fromHarness.statusCode).toBe(200);
    expect((await fromHarness.body.text()).trim()).toBe(marker);
  });

  it("gives inner containers this machine's resolver, never a public DNS server", async () => {
    const resolvConf = (await host.run(`docker run --rm ${nginxImage} cat /etc/resolv.conf`)).stdout;
    const nameservers = [...resolvConf.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]);
    expect(nameservers).toEqual([await machineResolver()]);
  });

  it("publishes host ports on 127.0.0.1 only", async () => {
    const published = await docker(["port", host.name, `${PROBE_PORT}/tcp`]);
    expect(published.stdout.trim()).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("copies files in and out", async () => {
    await withTempDir("copy-test", async (local) => {
      await writeFile(path.join(local, "in.txt"), "to the host\n");
      await host.copyIn(path.join(local, "in.txt"), "/tmp/in.txt");
      await host.run("tr a-z A-Z < /tmp/in.txt > /tmp/out.txt");
      await host.copyOut("/tmp/out.txt", path.join(local, "out.txt"));
      expect(await readFile(path.join(local, "out.txt"), "utf8")).toBe("TO THE HOST\n");
    });
  });

  it("comes back running after a reboot, with its inner images kept", async () => {
    // /run is a tmpfs: a file there survives anything but a reboot.
    await host.run("touch /run/before-reboot");
    await host.reboot();
    expect((await host.run("systemctl is-system-running")).stdout.trim()).toBe("running");
    expect((await host.run("test -e /run/before-reboot", { check: false })).exitCode).toBe(1);
    await host.run(`docker image inspect ${nginxImage}`);
  });

  it("leaves no container, network or volume behind, disposes twice safely, and never touches /sys/fs/cgroup", async () => {
    const names = hosts.map((h) => h.name);
    for (const name of names) expect((await hostResources(name)).containers).toEqual([name]);
    await Promise.all(hosts.map((h) => h.dispose()));
    await Promise.all(hosts.map((h) => h.dispose()));
    for (const name of names) {
      expect(await hostResources(name)).toEqual({ containers: [], networks: [], volumes: [] });
    }
    expect(await cgroupMounts()).toEqual(cgroupBefore);
  });
});
