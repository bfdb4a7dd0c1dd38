// Benchmark of the foundation (not a test): prints cold image build time, warm image check time,
// host boot to `running`, and a host ready with the service images: loaded into its engine, against
// copied from the engine template (the first host builds it), measured side by side in one run.
// Run: npm run bench:foundation   (takes a few minutes; leaves nothing behind, the image cache included)
import { docker } from "../docker/docker-cli.ts";
import { SERVICES } from "../images/catalogue.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { debianBase } from "../images/debian-base.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";
import { HostTemplate } from "../targets/container/host-template.ts";

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

  const target = new ContainerTarget();
  const bare = await measure("host boot to running (systemd + inner engine, no images)", () =>
    target.start(),
  );
  await bare.dispose();
  const engineImages = imagesForHostEngine(images);
  const serviceRefs = engineImages.flatMap((image) => image.ref ?? []);
  // The target boots the host image of the current recipe (unsalted): the template is keyed by it.
  const hostImage = (await ensureImages({ mode: "offline", services: ["host"] })).get("host")?.ref ?? "";
  const template = await HostTemplate.engine(hostImage, serviceRefs);
  try {
    // Side by side in one run: the images loaded into each host, against copied from the template.
    for (const [what, templates] of [
      [`host ready, ${serviceRefs.length} images loaded with docker save | docker load`, false],
      ["host ready, the first with the template (builds it)", true],
      ["host ready from the template (copied)", true],
    ] as const) {
      const host = await measure(what, () => target.start({ images: engineImages, templates, progress }));
      await host.dispose();
    }
  } finally {
    await template.remove();
  }
} finally {
  if (refs.length > 0) await docker(["rmi", "--force", ...refs], { check: false });
}

process.stdout.write(`\nfoundation benchmark (${SERVICES.length} services, ${new Date().toISOString()})\n`);
for (const [what, seconds] of figures) process.stdout.write(`${seconds.toFixed(1).padStart(8)} s  ${what}\n`);
const [cold, warm, , loaded, , copied] = figures;
if (cold !== undefined && warm !== undefined) {
  process.stdout.write(`${(cold[1] / warm[1]).toFixed(0).padStart(8)} x  cold build / warm check\n`);
}
if (loaded !== undefined && copied !== undefined) {
  process.stdout.write(
    `${(loaded[1] / copied[1]).toFixed(1).padStart(8)} x  images loaded / engine from the template\n`,
  );
}
