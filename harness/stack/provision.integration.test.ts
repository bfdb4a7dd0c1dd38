import { expect, test } from "../scenario/scenario-test.ts";
import type { Host } from "../host/host.ts";
import { BUNDLED_STACK, openStackDir } from "./stack-layout.ts";
import { Stack } from "./stack.ts";

/** Every file of the deployment and the unit files with size and mtime, and the images' ids. */
async function fingerprint(host: Host): Promise<string> {
  const files = await host.run(
    "find /opt/sattva-streamer /opt/sattva-chaos /etc/systemd/system -name __pycache__ -prune -o -type f -printf '%p %s %T@\\n' | sort",
  );
  const images = await host.run(
    "docker images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}' | sort",
  );
  return `${files.stdout}\n${images.stdout}`;
}

test("provisioning is idempotent: a second run changes no unit file, venv or image", async ({
  host,
  images,
}) => {
  const stack = new Stack(host, await openStackDir(BUNDLED_STACK), images);

  const first = await stack.provision();
  expect(first.changes).toEqual(
    expect.arrayContaining([
      "venv backend/venv: installed backend/requirements.txt",
      "venv streamer/venv: installed streamer/requirements.txt",
      "unit sattva-backend.service",
      "unit yt-dlp-update.timer",
      `image postgres:15-alpine -> ${images.get("postgres")?.ref ?? "(none)"}`,
    ]),
  );
  const before = await fingerprint(host);

  const second = await stack.provision();
  expect(second.changes, second.output).toEqual([]);
  expect(await fingerprint(host)).toBe(before);
});
