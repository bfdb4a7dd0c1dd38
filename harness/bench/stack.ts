// Benchmark of the reference deployment (not a test): provisioning time cold (fresh host, empty pip
// cache) and warm (provisioned again, nothing to do), and the documented start order with the
// runbook's `sleep 10` side by side with the readiness-gated start, each to steady state.
// Run: npm run bench:stack   (a few minutes; leaves nothing behind)
import { secondsSince } from "../format.ts";
import { ensureImages, imagesForHostEngine } from "../images/image-builder.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { STACK_PORTS } from "../stack-ports.ts";
import { BUNDLED_STACK, openStackDir } from "../stack/stack-layout.ts";
import { Stack, type DbGate } from "../stack/stack.ts";
import { checkSteadyState, describeSteadyState } from "../stack/steady-state.ts";
import { ContainerTarget } from "../targets/container/container-target.ts";

const progress = (line: string) => process.stderr.write(`  ${line}\n`);
const figures: [string, number][] = [];
const record = (what: string, ms: number) => figures.push([what, ms / 1000]);

await withTempDir("bench-pip-cache", async (emptyCache) => {
  // An empty pip cache for this host only: the cold figure includes downloading the wheels.
  process.env["XDG_CACHE_HOME"] = emptyCache;
  const images = await ensureImages({ mode: "offline" });
  const host = await new ContainerTarget().start({
    images: imagesForHostEngine(images),
    ports: STACK_PORTS,
    progress,
  });
  try {
    const stack = new Stack(host, await openStackDir(BUNDLED_STACK), images);
    record("provision, cold (fresh host, empty pip cache)", (await stack.provision()).durationMs);
    record("provision, warm (again: nothing to change)", (await stack.provision()).durationMs);

    // The first start initialises the database volume; the compared starts both find it initialised.
    const first = await stack.start("readiness", progress);
    record("first start (PostgreSQL initialises its volume)", first.durationMs);
    await stack.stop();
    for (const gate of ["sleep-10", "readiness"] as DbGate[]) {
      const started = performance.now();
      const start = await stack.start(gate, progress);
      record(
        `start in the documented order, ${gate === "sleep-10" ? "runbook's sleep 10" : "readiness-gated"}`,
        start.durationMs,
      );
      const steady = await checkSteadyState(stack, { settle: true });
      if (!steady.holds) throw new Error(`steady state did not hold:\n${describeSteadyState(steady)}`);
      record(`  … to steady state (${gate})`, performance.now() - started);
      progress(`stopping the stack (${secondsSince(started)} since start)`);
      await stack.stop();
    }
  } finally {
    await host.dispose();
  }
});

process.stdout.write(`\nstack benchmark (${new Date().toISOString()})\n`);
for (const [what, seconds] of figures) process.stdout.write(`${seconds.toFixed(1).padStart(8)} s  ${what}\n`);
