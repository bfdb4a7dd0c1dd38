import { parseArgs } from "node:util";
import { ExitCode, UsageError } from "../errors.ts";
import { secondsSince } from "../format.ts";
import { ensureBox } from "../targets/vagrant/box.ts";

const ACTIONS = ["box"] as const;

const USAGE = `usage: sattva-chaos vagrant <action>

actions:
  box    build the offline Debian 12 box for vagrant-libvirt (cached by recipe hash) and register it
         with Vagrant; prints its name`;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** `sattva-chaos vagrant …`: what the Vagrant target needs, prepared ahead of a run. */
export async function vagrantCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "box") {
    throw new UsageError(
      `unknown vagrant action "${action ?? ""}": expected one of ${ACTIONS.join(", ")}\n\n${USAGE}`,
    );
  }
  try {
    parseArgs({ args: rest, options: {}, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  const started = performance.now();
  const box = await ensureBox(log);
  log(`box ready in ${secondsSince(started)}: ${box.file}`);
  process.stdout.write(`${box.name}\n`);
  return ExitCode.passed;
}
