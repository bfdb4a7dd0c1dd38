import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { reportDir } from "./scenario/report-dir.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

// Unit tests sit beside the code and need no Docker; integration tests boot real hosts.
export default defineConfig({
  test: {
    root,
    reporters: ["default", ["junit", { outputFile: reportDir("junit.xml") }]],
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["harness/**/*.test.ts"],
          exclude: ["harness/**/*.integration.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["harness/**/*.integration.test.ts", "scenarios/**/*.test.ts"],
          // Hosts boot in minutes under load; teardown removes containers holding inner engines.
          testTimeout: 600_000,
          hookTimeout: 600_000,
          // Two cores: one file at a time, and at most two concurrent tests (each may boot a host).
          fileParallelism: false,
          maxConcurrency: 2,
        },
      },
    ],
  },
});
