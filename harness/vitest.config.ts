import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { reportDir } from "./scenario/report-dir.ts";
import { RunEnv } from "./scenario/run-env.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
/** Scenario files at once, each on its own host: `sattva-chaos run` decides (--jobs); one otherwise. */
const jobs = Number(process.env[RunEnv.jobs] ?? "1");

// Unit tests sit beside the code and need no Docker; integration tests boot real hosts.
export default defineConfig({
  test: {
    root,
    // allure-vitest's reporter registers its own setup file: steps and attachments of each test.
    reporters: [
      "default",
      ["junit", { outputFile: reportDir("junit.xml") }],
      ["allure-vitest/reporter", { resultsDir: reportDir("allure-results") }],
    ],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["harness/**/*.test.ts"],
          exclude: ["harness/**/*.integration.test.ts", "harness/**/*.vm.test.ts"],
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
          include: ["harness/**/*.integration.test.ts", "scenarios/**/*.test.ts"],
          // A file's first test also waits for its host and stack (fixtures): minutes for a container
          // under load, tens of minutes for a VM under software emulation (--target vagrant).
          testTimeout: 30 * 60_000,
          hookTimeout: 15 * 60_000,
          // Two cores: one file at a time unless `run` says otherwise, and at most two concurrent tests
          // (each may boot a host).
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
          include: ["harness/**/*.vm.test.ts"],
          testTimeout: 45 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
