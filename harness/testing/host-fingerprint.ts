import type { Host } from "../host/host.ts";

/**
 * Every file of the deployment and the unit files with size and mtime, and the images' ids. Times are
 * to the second: a host copied from a template has its files from an image layer, which keeps no more.
 */
export async function provisionedFingerprint(host: Host): Promise<string> {
  const files = await host.run(
    "find /opt/sattva-streamer /opt/sattva-chaos /etc/systemd/system -name __pycache__ -prune -o -type f -printf '%p %s %Ts\\n' | sort",
  );
  const images = await host.run(
    "docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort",
  );
  return `${files.stdout}\n${images.stdout}`;
}

/**
 * What provisioning made, by content only (a file's times are when it was made): every file of the
 * deployment and the unit files with its sha256, the users, the enabled units and the images' ids.
 */
export async function provisionedContent(host: Host): Promise<string> {
  const state = await host.run(
    "find /opt/sattva-streamer /opt/sattva-chaos /etc/systemd/system -name __pycache__ -prune -o -type f -print0 " +
      "| xargs -0 sha256sum | sort -k 2; getent passwd | cut -d: -f1 | sort; " +
      "systemctl list-unit-files --state=enabled --no-legend | sort; " +
      "docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort",
  );
  return state.stdout;
}
