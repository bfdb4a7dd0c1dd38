// Benchmark of the foundation (not a test): prints cold image build time, warm image check time,
// host boot to `running`, and image load into the host's inner engine, measured in one run.
// Run: npm run bench:foundation   (takes a few minutes; leaves nothing behind, the image cache included)
import { docker } from "../docker/docker-cli.ts";
import { SERVICES } from "../images/catalogue.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { debianBase } from "../images/debian-base.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { loadImagesIntoHost } from "../images/load-into-host.ts";

const progress = (line: string) => process.stderr.write(`  ${line}\n`);
const figures: [string, number][] = [];

async function measure<T>(what: string, work: () => Promise<T>): Promise<T> {
  process.stderr.write(`${what}…\n`);
  const started = performance.now();
  const result = await work();
  figures.push([what, (performance.now() - started) / 1000]);
  return result;
}

// A fresh salt gives every recipe a new hash: a truly cold build under tags no one else uses.
const salt = `bench-${Date.now()}`;
const refs: string[] = [];
try {
  const images = await measure("cold image build (all services, offline)", () =>
    ensureImages({ mode: "offline", salt, progress }),
  );
  refs.push((await debianBase(salt)).ref, ...[...images.values()].flatMap((image) => image.ref ?? []));
  await measure("warm image check (nothing to build)", () =>
    ensureImages({ mode: "offline", salt, progress }),
  );

  const host = await measure("host boot to running (systemd + inner engine)", () =>
    new ContainerTarget().start(),
  );
  try {
    const serviceRefs = imagesForHostEngine(images).flatMap((image) => image.ref ?? []);
    await measure(`image load into the inner engine (${serviceRefs.length} images)`, () =>
      loadImagesIntoHost(host, serviceRefs),
    );
  } finally {
    await host.dispose();
  }
} finally {
  if (refs.length > 0) await docker(["rmi", "--force", ...refs], { check: false });
}

process.stdout.write(`\nfoundation benchmark (${SERVICES.length} services, ${new Date().toISOString()})\n`);
for (const [what, seconds] of figures) process.stdout.write(`${seconds.toFixed(1).padStart(8)} s  ${what}\n`);
const [cold, warm] = figures;
if (cold !== undefined && warm !== undefined) {
  process.stdout.write(`${(cold[1] / warm[1]).toFixed(0).padStart(8)} x  cold build / warm check\n`);
}
