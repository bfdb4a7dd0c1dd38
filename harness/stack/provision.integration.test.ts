import { cp, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import type { Host } from "../host/host.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { provisionedFingerprint } from "../testing/host-fingerprint.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { BUNDLED_STACK, openStackDir } from "./stack-layout.ts";
import { Stack } from "./stack.ts";

const hosts: Host[] = [];
afterAll(async () => {
  await Promise.all(hosts.map((host) => host.dispose()));
});

/** A bare host (no provisioning asked of the target), so each test's own provisioning is the first. */
async function bareHost() {
  const images = await ensureImages({ mode: "offline" });
  const host = await new ContainerTarget().start({ images: imagesForHostEngine(images) });
  hosts.push(host);
  return { host, images };
}

test("provisioning is idempotent: a second run changes no unit file, venv or image", async () => {
  const { host, images } = await bareHost();
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

test("a compose service the checkout builds is built offline from catalogue bases, once; a failed build is named", async () => {
  await withTempDir("provision-build", async (dir) => {
    // The frontend built from its own Dockerfile, as production builds it: the SPA is in the image.
    const copy = path.join(dir, "stack");
    await cp(BUNDLED_STACK, copy, { recursive: true });
    const compose = path.join(copy, "docker-compose.yml");
    await writeFile(
      compose,
      (await readFile(compose, "utf8"))
        .replace("image: nginx:stable", "build: ./frontend")
        .replace("      - ./frontend/dist:/usr/share/nginx/html:ro\n", ""),
    );
    const dockerfile = path.join(copy, "frontend/Dockerfile");
    await writeFile(dockerfile, "FROM nginx:stable\nCOPY dist /usr/share/nginx/html\n");
    const { host, images } = await bareHost();
    const stack = new Stack(host, await openStackDir(copy), images);

    const first = await stack.provision();
    expect(first.changes).toEqual(
      expect.arrayContaining([
        `image nginx:stable -> ${images.get("nginx")?.ref ?? "(none)"}`,
        "image sattva-streamer-frontend built from frontend",
      ]),
    );
    const again = await stack.provision();
    expect(again.changes, again.output).toEqual([]);
    await stack.start();
    const spa = await host.run("curl -fsS http://127.0.0.1:3000/", { check: false });
    expect(spa.stdout, spa.stderr).toContain("<title>");
    expect(await stack.unbuiltServices()).toEqual([]);

    // A build step that fails (its input is not in the checkout): reported, the service skipped by name.
    await writeFile(dockerfile, "FROM nginx:stable\nCOPY build /usr/share/nginx/html\n");
    const broken = await stack.provision();
    expect(broken.output).toMatch(
      /failed: image sattva-streamer-frontend: its build from frontend failed offline: .*build/,
    );
    const [unbuilt] = await stack.unbuiltServices();
    expect(unbuilt?.service).toBe("frontend");
    expect(unbuilt?.reason).toMatch(/^skipped: its build from frontend failed offline/);
  });
});
