import { afterAll, expect, test } from "vitest";
import type { Host } from "../host/host.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { provisionedFingerprint } from "../testing/host-fingerprint.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { BUNDLED_STACK, openStackDir } from "./stack-layout.ts";
import { Stack } from "./stack.ts";

const hosts: Host[] = [];
afterAll(async () => {
  await Promise.all(hosts.map((host) => host.dispose()));
});

test("provisioning is idempotent: a second run changes no unit file, venv or image", async () => {
  const images = await ensureImages({ mode: "offline" });
  // A bare host: no provisioning asked of the target, so this test's own is the first.
  const host = await new ContainerTarget().start({ images: imagesForHostEngine(images) });
  hosts.push(host);
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
  const before = await provisionedFingerprint(host);

  const second = await stack.provision();
  expect(second.changes, second.output).toEqual([]);
  expect(await provisionedFingerprint(host)).toBe(before);
});
