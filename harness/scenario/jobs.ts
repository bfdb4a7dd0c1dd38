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
 * How many scenario files run at once, each on its own host: one per core (a scenario mostly waits on
 * the deployment's timers, but provisioning and recovery are CPU work), as many as memory holds, and
 * never more than there are files.
 */
export function defaultJobs(machine: MachineRoom, files: number): number {
  const byMemory = Math.floor(machine.freeMemoryBytes / MEMORY_PER_HOST);
  return Math.max(1, Math.min(machine.cores, byMemory, files));
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
