// Benchmark of the static audit (not a test): prints the wall time of `audit` on the bundled and the
// drifted stack (images already built: the warm case a user meets), and of `init`'s reading of a
// checkout, each repeated, measured in one run. Run: npm run bench:audit   (about a minute)
import { fileURLToPath } from "node:url";
import { audit } from "../audit/audit.ts";
import { allFindings, describeSeverityCounts } from "../findings/finding.ts";
import { ensureImages } from "../images/image-builder.ts";
import { proposeProfile } from "../profile/init.ts";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

const DRIFTED = fileURLToPath(new URL("../../fixtures/stacks/drifted/", import.meta.url));
const RUNS = 5;

const started = performance.now();
await ensureImages({
  mode: "offline",
  services: ["host", "nginx", "prometheus", "alertmanager", "shellcheck"],
});
const imagesCheck = (performance.now() - started) / 1000;

const seconds = async (work: () => Promise<unknown>): Promise<number> => {
  const at = performance.now();
  await work();
  return (performance.now() - at) / 1000;
};
const summary = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return `min ${sorted[0]?.toFixed(2) ?? "?"} s, median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2) ?? "?"} s, max ${sorted.at(-1)?.toFixed(2) ?? "?"} s`;
};

process.stdout.write(`\naudit benchmark (${RUNS} runs each, ${new Date().toISOString()})\n`);
process.stdout.write(`${imagesCheck.toFixed(2).padStart(8)} s  validator images check (cached)\n`);
for (const [name, stack] of [
  ["bundled", BUNDLED_STACK],
  ["drifted", DRIFTED],
] as const) {
  const times: number[] = [];
  let counts = "";
  for (let run = 0; run < RUNS; run++) {
    times.push(
      await seconds(async () => {
        const result = await audit({ stack });
        counts = `${result.outcomes.length} checks, ${describeSeverityCounts(allFindings(result.outcomes))}`;
      }),
    );
  }
  process.stdout.write(`  audit of the ${name} stack: ${summary(times)} (${counts})\n`);
  const reads: number[] = [];
  for (let run = 0; run < RUNS; run++) reads.push(await seconds(() => proposeProfile(stack)));
  process.stdout.write(`  init's reading of the ${name} stack (no Docker): ${summary(reads)}\n`);
}
