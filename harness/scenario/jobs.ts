import { availableParallelism, freemem } from "node:os";
import { UsageError } from "../errors.ts";

/** Memory one host with the whole stack takes (systemd, its engine, 6 containers, two venvs), with room. */
const MEMORY_PER_HOST = 2 * 1024 ** 3;

export interface MachineRoom {
  readonly cores: number;
  readonly freeMemoryBytes: number;
}

export function thisMachine(): MachineRoom {
  return { cores: availableParallelism(), freeMemoryBytes: freemem() };
}

/**
 * Scenario files at once per core. A file mostly waits on the deployment's timers (RestartSec, alert
 * `for:` windows, nginx's timeouts): with one file per core, the whole suite on 2 cores left the CPU
 * 60-90 % idle outside host boots (vmstat every 15 s).
 */
const FILES_PER_CORE = 2;

/**
 * How many scenario files run at once, each on its own host: two per core, as many as memory holds,
 * and never more than there are files.
 */
export function defaultJobs(machine: MachineRoom, files: number): number {
  const byMemory = Math.floor(machine.freeMemoryBytes / MEMORY_PER_HOST);
  return Math.max(1, Math.min(machine.cores * FILES_PER_CORE, byMemory, files));
}

/** `--jobs N`: a whole number, 1 or more. */
export function parseJobs(value: string): number {
  const jobs = Number(value);
  if (!/^\d+$/.test(value) || jobs < 1)
    throw new UsageError(
      `--jobs "${value}": expected how many scenario files to run at once, a whole number from 1`,
    );
  return jobs;
}
