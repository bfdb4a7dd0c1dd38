import { expect, it } from "vitest";
import { defaultJobs, parseJobs } from "./jobs.ts";

const GiB = 1024 ** 3;

it("runs two files per core, as many as memory holds, never more than there are files", () => {
  expect(defaultJobs({ cores: 2, freeMemoryBytes: 21 * GiB }, 6)).toBe(4);
  expect(defaultJobs({ cores: 2, freeMemoryBytes: 21 * GiB }, 3)).toBe(3);
  expect(defaultJobs({ cores: 16, freeMemoryBytes: 7 * GiB }, 6)).toBe(3);
  expect(defaultJobs({ cores: 16, freeMemoryBytes: 64 * GiB }, 40)).toBe(32);
  expect(defaultJobs({ cores: 8, freeMemoryBytes: 64 * GiB }, 1)).toBe(1);
  expect(defaultJobs({ cores: 2, freeMemoryBytes: 1 * GiB }, 6), "a starved machine still runs").toBe(1);
});

it("takes --jobs as a whole number from 1, naming the value otherwise", () => {
  expect(parseJobs("3")).toBe(3);
  for (const bad of ["0", "-1", "1.5", "two", ""])
    expect(() => parseJobs(bad)).toThrow(`--jobs "${bad}": expected how many scenario files to run at once`);
});
