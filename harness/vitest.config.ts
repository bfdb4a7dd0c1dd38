import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import LongestFirstSequencer from "./longest-first-sequencer.ts";
import { defaultJobs, thisMachine } from "./scenario/jobs.ts";
import { reportDir } from "./scenario/report-dir.ts";
import { RunEnv } from "./scenario/run-env.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
/**
 * Integration files at once, each with its own hosts: `sattva-chaos run` decides (--jobs); a direct
 * vitest run (`npm test`) takes what this machine has room for, unless its files share one host.
 */
const target = process.env[RunEnv.target] ?? "container";
const jobs = Number(
  process.env[RunEnv.jobs] ?? (target === "container" ? defaultJobs(thisMachine(), Infinity) : 1),
);
/**
 * Integration files that act on what every other file uses (they build, damage and prune the host
 * templates all hosts start from; `clean` removes every host a dead run left) and assert what they
 * find: they run one after another once the rest is done.
 */
const ALONE = "harness/**/*.alone.integration.test.{ts,js}";

// Unit tests sit beside the code and need no Docker; integration tests boot real hosts.
export default defineConfig({
  test: {
    root,
    sequence: { sequencer: LongestFirstSequencer },
    // allure-vitest's reporter registers its own setup file: steps and attachments of each test.
    reporters: [
      "default",
      ["junit", { outputFile: reportDir("junit.xml") }],
      // vitest's own results, read back by `run` for its exit code and `--json` (results/run-results.ts).
      ["json", { outputFile: reportDir("vitest.json") }],
      ["allure-vitest/reporter", { resultsDir: reportDir("allure-results") }],
      // Explicit reporters replace vitest's default choice: under GitHub Actions, failures are annotations.
      ...(process.env["GITHUB_ACTIONS"] === "true" ? ["github-actions" as const] : []),
    ],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["harness/**/*.test.{ts,js}"],
          exclude: ["harness/**/*.integration.test.{ts,js}", "harness/**/*.vm.test.{ts,js}"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration-alone",
          include: [ALONE],
          sequence: { groupOrder: 2 },
          testTimeout: 30 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          // A scenario file marked `// @module-tag read-only` changes nothing on the host: it may run on an
          // existing host without --allow-destructive, and it is the release gate's suite.
          tags: [
            { name: "read-only", description: "checks that change nothing on the host (the release gate)" },
          ],
          include: ["harness/**/*.integration.test.{ts,js}", "scenarios/**/*.test.{ts,js}"],
          exclude: [ALONE],
          // After the unit tests, side by side.
          sequence: { groupOrder: 1 },
          // A file's first test also waits for its host and stack (fixtures): minutes for a container
          // under load, tens of minutes for a VM under software emulation (--target vagrant).
          testTimeout: 30 * 60_000,
          hookTimeout: 15 * 60_000,
          // Files mostly wait on the deployment's timers, each on its own hosts: `jobs` at once, and
          // at most two concurrent tests in a file (each may boot a host).
          fileParallelism: jobs > 1,
          maxWorkers: jobs,
          maxConcurrency: 2,
        },
      },
      {
        extends: true,
        test: {
          // VMs under software emulation: their own job (`npm run test:vm`, run by .ci/vagrant), since
          // they would double the main CI's time.
          name: "vm",
          sequence: { groupOrder: 3 },
          include: ["harness/**/*.vm.test.{ts,js}"],
          testTimeout: 45 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
