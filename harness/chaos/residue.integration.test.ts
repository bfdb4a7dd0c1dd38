// The residue audit must see whatever a fault, or a harness that died, could leave on a host: each kind
// of leftover is planted on a real host with the stack started, and the audit must name every one.
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Host } from "../host/host.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { HOST_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { Stack } from "../stack/stack.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { Markers } from "./markers.ts";
import { findResidue, takeHostSnapshot } from "./residue.ts";

let host: Host | undefined;
let stack: Stack;

beforeAll(async () => {
  const images = await ensureImages({ mode: "offline" });
  const source = await openStackDir(BUNDLED_STACK);
  host = await new ContainerTarget().start({
    images: imagesForHostEngine(images),
    ports: HOST_PORTS,
    provisioning: await Stack.provisioning(source, images),
  });
  stack = new Stack(host, source, images);
  await stack.start();
});

afterAll(async () => {
  await host?.dispose();
});

/** Each planted leftover: the commands that plant it, and what the audit must say of it. */
const PLANTED: readonly { readonly kind: string; readonly plant: string; readonly named: RegExp }[] = [
  {
    kind: "a unit stopped",
    plant: "systemctl stop sattva-streamer",
    named: /^unit sattva-streamer(\.service)? is inactive$/m,
  },
  {
    kind: "a systemd drop-in",
    plant:
      "mkdir -p /etc/systemd/system/sattva-backend.service.d && printf '[Service]\\nEnvironment=PLANTED=1\\n' > /etc/systemd/system/sattva-backend.service.d/planted.conf",
    named:
      /^unit file or drop-in added or changed: \/etc\/systemd\/system\/sattva-backend\.service\.d\/planted\.conf /m,
  },
  {
    kind: "the stack's .env and an overlay directory",
    plant:
      "echo COMPOSE_FILE=planted.yml >> /opt/sattva-streamer/.env && mkdir -p /opt/sattva-streamer/.sattva-chaos && touch /opt/sattva-streamer/.sattva-chaos/planted",
    named: /^stack file added or changed: \.env [\s\S]*^stack file added or changed: \.sattva-chaos /m,
  },
  {
    kind: "a container's restart policy",
    plant: "docker update --restart=no sattva-streamer-db-1 >/dev/null",
    named: /^container added or changed: \/sattva-streamer-db-1 .* restart=no /m,
  },
  {
    kind: "a container, a volume and a network of no service",
    plant:
      "docker create --name planted-container $(docker inspect --format '{{.Config.Image}}' sattva-streamer-redis-1) >/dev/null && docker volume create planted-volume >/dev/null && docker network create planted-network >/dev/null",
    named:
      /^container added or changed: \/planted-container [\s\S]*^docker volume added or changed: planted-volume$[\s\S]*^docker network added or changed: planted-network bridge$/m,
  },
  {
    kind: "firewall rules",
    plant: "iptables -w -A INPUT -p tcp --dport 9 -j DROP && ip6tables -w -A INPUT -p tcp --dport 9 -j DROP",
    named:
      /^iptables rule added or changed: filter: -A INPUT -p tcp -m tcp --dport 9 -j DROP$[\s\S]*^ip6tables rule added or changed: filter: -A INPUT -p tcp -m tcp --dport 9 -j DROP$/m,
  },
  {
    kind: "a queueing discipline",
    plant: "tc qdisc add dev lo root pfifo limit 7",
    named: /^traffic control added or changed: qdisc pfifo .* dev lo root .*limit 7p/m,
  },
  {
    kind: "a kernel setting",
    plant: "sysctl -qw net.ipv4.tcp_syncookies=0",
    named: /^kernel setting added or changed: net\.ipv4\.tcp_syncookies = 0$/m,
  },
  {
    kind: "/etc/hosts, a mount, a cron entry and pip's configuration",
    plant:
      "echo '10.9.9.9 planted' >> /etc/hosts && mkdir -p /mnt/planted && mount -t tmpfs planted /mnt/planted && echo '* * * * * root true' > /etc/cron.d/planted && printf '[global]\\nindex-url = http://127.0.0.1:9/simple\\n' >> /etc/pip.conf",
    named:
      /^\/etc\/hosts line added or changed: 10\.9\.9\.9 planted$[\s\S]*^mount added or changed: \/mnt\/planted tmpfs [\s\S]*^cron entry added or changed: \* \* \* \* \* root true$[\s\S]*^pip configuration added or changed: index-url = http:\/\/127\.0\.0\.1:9\/simple$/m,
  },
  {
    kind: "the update timer stopped",
    plant: "systemctl stop yt-dlp-update.timer",
    named: /^timer removed or changed: yt-dlp-update\.timer ActiveState=active$/m,
  },
  {
    kind: "a dead-man switch still armed",
    plant: "systemd-run --quiet --unit=sattva-chaos-dead-man-planted --on-active=1h /bin/true",
    named: /^dead-man switch sattva-chaos-dead-man-planted\.timer is still there$/m,
  },
  {
    kind: "disk kept",
    plant: "fallocate -l 600M /var/tmp/planted",
    named: /^\d+ MB more disk used in .* than before the scenario$/m,
  },
];

it("names every kind of leftover planted on a host after its snapshot", async () => {
  const before = await takeHostSnapshot(stack);
  const clean = await findResidue(stack, { markers: new Markers(stack), before });
  expect(clean, "nothing planted yet: nothing found").toEqual([]);

  for (const { plant } of PLANTED) await stack.host.run(plant);
  const residue = (await findResidue(stack, { markers: new Markers(stack), before })).join("\n");
  const unnamed = PLANTED.filter(({ named }) => !named.test(residue)).map(({ kind }) => kind);
  expect(unnamed, `not named in:\n${residue}`).toEqual([]);
});
