import { readFileSync } from "node:fs";
import { TARGET_CHOICES, TARGET_NAMES } from "../targets/targets.ts";

/** What `sattva-chaos <command> --help` prints: how to call it, what it does, its options, examples. */
export interface CommandHelp {
  /** The command's forms, without the program's name: `run [scenario...] [--target T]`. */
  readonly synopsis: readonly string[];
  /** What it does, in a sentence or two. */
  readonly about: string;
  /** Its options, each with what it does. */
  readonly options?: readonly (readonly [string, string])[];
  readonly examples?: readonly string[];
}

const STACK = [
  "--stack DIR",
  "the checkout to deploy or audit (default: the bundled reference stack)",
] as const;
const RUNBOOK = [
  "--runbook FILE",
  "the runbook to judge it by (default: the profile's `runbook`, else the checkout's DEPLOYMENT_ARCHITECTURE.md, else the reference)",
] as const;
const MODE = [
  "--mode offline|online",
  "images built from this repository's recipes (offline, the default) or pulled from registries",
] as const;
const REPORT = [
  "--report DIR",
  "where the HTML page, summary, JUnit, allure results, journals and logs go (default: reports/)",
] as const;
const METRICS = [
  "--metrics FILE",
  "the results as metrics (exit code, tests, times to detect, alert and recover, findings) for the node exporter's textfile collector",
] as const;
const SSH = [
  ["--ssh-key FILE", "the private key for an ssh:// target"],
  ["--ssh-known-hosts FILE", "the known_hosts file to check its host key against"],
  ["--ssh-accept-new", "trust a host key seen for the first time (else strict)"],
] as const;

export const COMMAND_HELP: Readonly<Record<string, CommandHelp>> = {
  run: {
    synopsis: [
      `run [scenario...] [--target ${TARGET_CHOICES}] [--stack DIR] [--runbook FILE] [--mode offline|online] [--grep TEXT] [--report DIR] [--keep] [--jobs N] [--allow-destructive] [--json] [--metrics FILE]`,
      "run --replay JOURNAL [--report DIR] [--json] [--metrics FILE]",
    ],
    about:
      "Runs scenarios (all if none is named) against the stack on a disposable host, each fault healed and each verdict proven; --replay runs a journal's test again the same way and says whether it ended the same.",
    options: [
      [
        "--target T",
        "container (default), vagrant, ssh://user@host (an existing, deployed host: read-only scenarios only) or a host left up by `up`",
      ],
      STACK,
      RUNBOOK,
      MODE,
      ["--grep TEXT", "only the tests whose name contains TEXT (plain text; none: exit 3 before any host)"],
      REPORT,
      ["--keep", "leave the hosts up afterwards; `down` removes them"],
      [
        "--jobs N",
        "scenario files at once, each on its own container host (default: what cores and memory hold)",
      ],
      [
        "--allow-destructive",
        "on an ssh:// host, also the scenarios that break things, if the host has /etc/sattva-chaos/disposable",
      ],
      ...SSH,
      ["--replay JOURNAL", "the journal of a test to run again (its target, stack and image mode)"],
      [
        "--json",
        "the results on stdout (schema: harness/results/run-results.schema.json), vitest's output on stderr",
      ],
      METRICS,
    ],
    examples: [
      "sattva-chaos run",
      "sattva-chaos run nginx-502 --grep backend",
      "sattva-chaos run smoke --stack ../my-deployment",
      "sattva-chaos run --replay reports/journals/nginx-502/backend-stopped.json",
    ],
  },
  gate: {
    synopsis: [
      `gate --target ${TARGET_CHOICES} [--stack DIR] [--runbook FILE] [--report DIR] [--json] [--metrics FILE] [--ssh-key FILE] [--ssh-known-hosts FILE] [--ssh-accept-new]`,
    ],
    about:
      "The release gate: the read-only suite against the host about to take a rollout. Exit 0 = READY; otherwise it prints what blocks the release (JUnit in the report).",
    options: [
      ["--target T", "the host to gate (required)"],
      STACK,
      RUNBOOK,
      REPORT,
      ["--json", "the results on stdout, with `ready` (schema: harness/results/run-results.schema.json)"],
      METRICS,
      MODE,
      ...SSH,
    ],
    examples: ["sattva-chaos gate --target ssh://deploy@staging --ssh-key ~/.ssh/staging"],
  },
  audit: {
    synopsis: ["audit [--stack DIR] [--runbook FILE] [--json] [--report DIR] [--mode offline|online]"],
    about:
      "Audits a checkout against its runbook with no host: every difference is a finding (blocker, warning, info) with file and line; exit 1 if a blocker is found.",
    options: [
      STACK,
      RUNBOOK,
      ["--json", "the findings document on stdout (schema: harness/findings/findings.schema.json)"],
      ["--report DIR", "also write findings.json, junit.xml, summary.md and index.html there"],
      MODE,
    ],
    examples: ["sattva-chaos audit --stack .", "sattva-chaos audit --stack . --json > findings.json"],
  },
  init: {
    synopsis: ["init [--stack DIR] [--force]"],
    about:
      "Writes a sattva-chaos.json profile for a checkout from what is in it, marking each guess, and prints what is missing.",
    options: [
      ["--stack DIR", "the checkout (default: the current directory)"],
      ["--force", "replace an existing profile"],
    ],
    examples: ["sattva-chaos init --stack . && sattva-chaos audit --stack ."],
  },
  list: {
    synopsis: ["list [--json]"],
    about: "Lists the scenarios.",
    options: [
      [
        "--json",
        "each scenario with its tests and which are read-only (schema: harness/results/scenario-list.schema.json)",
      ],
    ],
  },
  images: {
    synopsis: ["images build [service...] [--mode offline|online]", "images list [--mode offline|online]"],
    about:
      "build: builds (offline) or pulls (online) the images, cached by recipe hash. list: which image each service uses and where it comes from, and the host templates on this machine.",
    options: [MODE],
    examples: ["sattva-chaos images build", "sattva-chaos images list"],
  },
  vagrant: {
    synopsis: ["vagrant box"],
    about:
      "Builds the offline Debian 12 box for vagrant-libvirt (cached by recipe hash), registers it with Vagrant, and prints its name.",
  },
  up: {
    synopsis: [
      `up [--target ${TARGET_NAMES.join("|")}] [--stack DIR] [--runbook FILE] [--mode offline|online]`,
    ],
    about:
      "Boots a host, deploys and starts the stack, and leaves it up for incident work: `run --target HOST` reruns scenarios on it in seconds, `shell` enters it, `down` removes it.",
    options: [["--target T", "container (default) or vagrant"], STACK, RUNBOOK, MODE],
    examples: ["sattva-chaos up", "sattva-chaos run nginx-502 --target sattva-chaos-host-1a2b3c4d"],
  },
  down: {
    synopsis: ["down [host...]"],
    about: "Removes hosts left up by `up` or --keep (all of them if none is named).",
  },
  shell: {
    synopsis: ["shell HOST [-- command...]"],
    about: "A root shell (or one command) on a host left up by `up` or --keep.",
    examples: ["sattva-chaos shell sattva-chaos-host-1a2b3c4d -- systemctl status sattva-backend"],
  },
  doctor: {
    synopsis: [
      `doctor [--target ${TARGET_CHOICES}] [--mode offline|online] [--ssh-key FILE] [--ssh-known-hosts FILE]`,
    ],
    about:
      "Checks in seconds what a target needs on this machine (Docker and its version, disk space, the tools to build missing images, Chromium; for vagrant: root, libvirt, QEMU, Vagrant and its provider, the VM driver, the box; for ssh://: the connection, its host key, sudo), one line per check with the fix; exit 3 if something is missing. run, up and gate run the same checks first.",
    options: [["--target T", "the target to check for (default: container)"], MODE, ...SSH],
    examples: ["sattva-chaos doctor", "sattva-chaos doctor --target vagrant"],
  },
  clean: {
    synopsis: ["clean [--all]"],
    about:
      "Removes what crashed runs left: containers, networks and volumes carrying the harness's label that no live run owns, and VMs with their libvirt daemons, pool and volumes.",
    options: [["--all", "also live and kept hosts, and the host templates"]],
  },
};

const EXIT_CODES =
  "exit codes: 0 passed, 1 a scenario failed (or a blocker), 2 inconclusive or baseline not met, 3 usage or environment error";

/** The overview: every command's forms and what it does. */
export function usage(): string {
  const commands = Object.values(COMMAND_HELP).flatMap((help) =>
    help.synopsis.map((form, index) => `  ${form}${index === 0 ? `\n      ${help.about}` : ""}`),
  );
  return [
    "usage: sattva-chaos <command> [options]",
    "       sattva-chaos <command> --help | --version",
    "",
    "commands:",
    ...commands,
    "",
    "the runbook a checkout is judged by: --runbook FILE, else the profile's \"runbook\", else the checkout's own",
    "DEPLOYMENT_ARCHITECTURE.md, else the reference runbook bundled with sattva-chaos (a finding says so)",
    "",
    EXIT_CODES,
  ].join("\n");
}

/** One command's help: its forms, what it does, its options and examples. */
export function commandHelp(command: string): string {
  const help = COMMAND_HELP[command];
  if (help === undefined) throw new Error(`no help for "${command}"`);
  const width = Math.max(0, ...(help.options ?? []).map(([flag]) => flag.length));
  return [
    ...help.synopsis.map((form, index) => `${index === 0 ? "usage:" : "      "} sattva-chaos ${form}`),
    "",
    help.about,
    ...(help.options === undefined
      ? []
      : ["", "options:", ...help.options.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)]),
    ...(help.examples === undefined ? [] : ["", "examples:", ...help.examples.map((e) => `  ${e}`)]),
    "",
    EXIT_CODES,
  ].join("\n");
}

/** The package's version, as package.json says. */
export function packageVersion(): string {
  const file = new URL("../../package.json", import.meta.url);
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}
