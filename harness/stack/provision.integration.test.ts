import { cp, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import type { Host } from "../host/host.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { provisionedFingerprint } from "../testing/host-fingerprint.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { BUNDLED_STACK, openStackDir } from "./stack-layout.ts";
import { Stack } from "./stack.ts";
import { cannotRunHere } from "./steady-state.ts";

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

  // Its containers open no connection beyond it (a checkout's Alertmanager must page no one from a
  // test host): an attempt to the host's gateway fails, and the one rule that refuses it counts it.
  const refused = async () =>
    Number(
      (
        await host.run("iptables -w -L DOCKER-USER -v -x -n | awk '/sattva-chaos-no-egress/ {print $1}'")
      ).stdout.trim() || Number.NaN,
    );
  const refusedBefore = await refused();
  const out = await host.run(
    `gateway=$(ip -o route show default | awk '{print $3}'); docker run --rm --entrypoint bash postgres:15-alpine -c "exec 3<>/dev/tcp/$gateway/9"`,
    { check: false },
  );
  expect(out.exitCode, "a container's connection out of the host").not.toBe(0);
  expect(await refused()).toBeGreaterThan(refusedBefore);

  const second = await stack.provision();
  expect(second.changes, second.output).toEqual([]);
  expect(await provisionedFingerprint(host)).toBe(before);
});

test("a compose service the checkout builds (an SPA built with npm) is built from catalogue bases, once; a failed build is named", async () => {
  await withTempDir("provision-build", async (dir) => {
    // The frontend built from its own Dockerfile, as production builds it: npm installs the SPA's
    // dependencies from the registry in a Node stage and builds it; nginx's stage serves it.
    const copy = path.join(dir, "stack");
    await cp(BUNDLED_STACK, copy, { recursive: true });
    const compose = path.join(copy, "docker-compose.yml");
    await writeFile(
      compose,
      (await readFile(compose, "utf8"))
        .replace("image: nginx:stable", "build: ./frontend")
        .replace("      - ./frontend/dist:/usr/share/nginx/html:ro\n", ""),
    );
    const frontend = path.join(copy, "frontend");
    await mkdir(path.join(frontend, "src"));
    await rename(path.join(frontend, "dist", "index.html"), path.join(frontend, "src", "index.html"));
    await writeFile(
      path.join(frontend, "package.json"),
      JSON.stringify({
        private: true,
        dependencies: { "is-number": "7.0.0" },
        scripts: { build: `node -e "require('is-number')" && mkdir -p dist && cp src/index.html dist/` },
      }),
    );
    const dockerfile = path.join(frontend, "Dockerfile");
    await writeFile(
      dockerfile,
      [
        "FROM node:22-alpine AS build",
        "WORKDIR /app",
        "COPY package.json ./",
        "RUN npm install --no-audit --no-fund",
        "COPY src ./src",
        "RUN npm run build",
        "FROM nginx:stable",
        "COPY --from=build /app/dist /usr/share/nginx/html",
        "",
      ].join("\n"),
    );
    const { host, images } = await bareHost();
    const stack = new Stack(host, await openStackDir(copy), images);

    const first = await stack.provision();
    expect(first.changes, first.output).toEqual(
      expect.arrayContaining([
        `image node:22-alpine -> ${images.get("node")?.ref ?? "(none)"}`,
        `image nginx:stable -> ${images.get("nginx")?.ref ?? "(none)"}`,
        "image sattva-streamer-frontend built from frontend",
      ]),
    );
    const again = await stack.provision();
    expect(again.changes, again.output).toEqual([]);
    // A changed dependency is fetched again on a host whose containers otherwise reach nothing beyond it.
    const manifest = path.join(frontend, "package.json");
    await writeFile(manifest, (await readFile(manifest, "utf8")).replace('"7.0.0"', '"7.0.x"'));
    const rebuilt = await stack.provision();
    expect(rebuilt.changes, rebuilt.output).toContain("image sattva-streamer-frontend built from frontend");
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

test("a venv that needs a compiler gets the build tools; one pip cannot build is reported with pip's words, and its unit as unable to run here", async () => {
  await withTempDir("provision-unbuilt", async (dir) => {
    const copy = path.join(dir, "stack");
    await cp(BUNDLED_STACK, copy, { recursive: true });
    // A pin no index has (as an old release with no wheel for this host's Python, and no compiler, fails).
    const requirements = path.join(copy, "streamer", "requirements.txt");
    await writeFile(
      requirements,
      `${await readFile(requirements, "utf8")}sattva-chaos-no-such-package==0.0.1\n`,
    );
    // A package with no wheel at all (psycopg2 is built from source): a compiler and libpq's headers.
    const backend = path.join(copy, "backend", "requirements.txt");
    await writeFile(backend, `${await readFile(backend, "utf8")}psycopg2==2.9.10\n`);
    const { host, images } = await bareHost();
    const stack = new Stack(host, await openStackDir(copy), images);

    const report = await stack.provision();
    expect(report.skipped, report.output).toEqual([
      expect.stringMatching(
        /^venv streamer\/venv: pip install -r streamer\/requirements.txt failed on Python 3\.\d+.*: .*No matching distribution found for sattva-chaos-no-such-package==0\.0\.1/,
      ),
    ]);
    expect(report.changes).toContain("venv backend/venv: installed backend/requirements.txt");
    expect(report.changes).toContain(
      "packages: build tools (a compiler, Python's and libpq's headers) for backend/venv",
    );
    expect(report.changes).toContain("unit sattva-streamer.service");
    expect(await cannotRunHere(stack, "streamer")).toMatch(
      /^sattva-streamer\.service cannot run here: pip could not build its venv \/opt\/sattva-streamer\/streamer\/venv from streamer\/requirements\.txt on this host's Python 3\.\d+.* \(.*sattva-chaos-no-such-package/,
    );
    expect(await cannotRunHere(stack, "backend")).toBeUndefined();
  });
});
