import { parseArgs } from "node:util";
import { ExitCode, UsageError } from "../errors.ts";
import { secondsSince } from "../format.ts";
import { ensureBox } from "../targets/vagrant/box.ts";
import { commandHelp } from "./help.ts";

const ACTIONS = ["box"] as const;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `sattva-chaos vagrant …`: what the Vagrant target needs, prepared ahead of a run. */
export async function vagrantCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "box") {
    throw new UsageError(
      `unknown vagrant action "${action ?? ""}": expected one of ${ACTIONS.join(", ")}\n\n${commandHelp("vagrant")}`,
    );
  }
  try {
    parseArgs({ args: rest, options: {}, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${commandHelp("vagrant")}`);
  }
  const started = performance.now();
  const box = await ensureBox(log);
  log(`box ready in ${secondsSince(started)}: ${box.file}`);
  process.stdout.write(`${box.name}\n`);
  return ExitCode.passed;
}
