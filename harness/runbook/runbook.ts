import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../errors.ts";
import { parseNginxConf, type NginxDirective } from "../parse/nginx-conf.ts";
import { UnitFile } from "../parse/unit-file.ts";
import type { RunbookService } from "../profile/profile.ts";

/** Where a deployment's repository keeps its runbook: at its root. */
export const RUNBOOK_NAME = "DEPLOYMENT_ARCHITECTURE.md";

/**
 * The reference runbook (DEPLOYMENT_ARCHITECTURE.md, in Russian), verbatim at the bundled stack's root
 * as in the deployment's repository. A checkout's own runbook is read instead when it has one; what that
 * one lacks (a section renamed, a unit left out) is read from this one, and said so.
 */
export const RUNBOOK_FILE = fileURLToPath(
  new URL(`../../fixtures/stacks/bundled/${RUNBOOK_NAME}`, import.meta.url),
);

/** The runbook's words behind a finding: the section (headings joined by " › "), a quote from it, its line. */
export interface Citation {
  readonly section: string;
  readonly quote: string;
  /** The runbook's line where the quote starts. */
  readonly line: number;
  /** "reference": the runbook under test does not say it, the reference runbook does. */
  readonly source?: "reference";
}

export interface CodeBlock {
  readonly lang: string;
  readonly text: string;
  /** Line of the block's first line of code in the runbook. */
  readonly line: number;
}

export interface RunbookSection {
  /** "Systemd Unit Files › Backend Service": its heading under the second-level heading above it. */
  readonly path: string;
  /** Its heading's line in the runbook; `text` starts with the heading's title. */
  readonly line: number;
  readonly text: string;
  readonly code: readonly CodeBlock[];
}

/** Splits Markdown into sections by `##` and `###` headings; `#` lines inside code fences are code. */
export function parseSections(markdown: string): RunbookSection[] {
  const sections: { path: string; line: number; lines: string[]; code: CodeBlock[] }[] = [];
  let h2 = "";
  let fence: { lang: string; lines: string[]; line: number } | undefined;
  const lines = markdown.split("\n");
  for (const [index, line] of lines.entries()) {
    const current = sections.at(-1);
    if (fence !== undefined) {
      if (line.startsWith("```")) {
        current?.code.push({ lang: fence.lang, text: fence.lines.join("\n"), line: fence.line });
        fence = undefined;
      } else {
        fence.lines.push(line);
      }
      current?.lines.push(line);
      continue;
    }
    const heading = /^(#{2,3})\s+(.*)$/.exec(line);
    if (heading !== null) {
      const title = (heading[2] ?? "").trim();
      if (heading[1] === "##") h2 = title;
      // The heading is part of the section's text: "Systemd Timer (04:00 UTC)" is itself a claim.
      sections.push({
        path: heading[1] === "##" ? title : `${h2} › ${title}`,
        line: index + 1,
        lines: [title],
        code: [],
      });
      continue;
    }
    if (line.startsWith("```")) fence = { lang: line.slice(3).trim(), lines: [], line: index + 2 };
    current?.lines.push(line);
  }
  return sections.map((s) => ({ path: s.path, line: s.line, text: s.lines.join("\n"), code: s.code }));
}

export class Runbook {
  readonly file: string;
  /** The file as findings name it: relative to the checkout when it is the checkout's. */
  readonly name: string;
  readonly sections: readonly RunbookSection[];
  /** Read where this runbook lacks a section or a quote (a checkout's runbook that grew apart). */
  readonly #reference: Runbook | undefined;

  constructor(markdown: string, file: string, reference?: Runbook, name = path.basename(file)) {
    this.file = file;
    this.name = name;
    this.sections = parseSections(markdown);
    this.#reference = reference;
  }

  section(path: string): RunbookSection {
    const found = this.sections.find((section) => section.path === path) ?? this.#reference?.section(path);
    if (found === undefined) throw new Error(`the runbook has no section "${path}"`);
    return found;
  }

  /**
   * The runbook's own words in a section, if it says them (never the reference's): what a contradiction
   * of the runbook quotes, so a runbook that was corrected has no such contradiction.
   */
  says(section: string, quote: string): Citation | undefined {
    const found = this.sections.find((s) => s.path === section);
    const offset = found?.text.indexOf(quote) ?? -1;
    if (found === undefined || offset === -1) return undefined;
    return { section, quote, line: found.line + found.text.slice(0, offset).split("\n").length - 1 };
  }

  /**
   * A quote from a section, checked: a citation the reference runbook does not contain is a bug here.
   * A runbook under test that does not say it is cited from the reference, marked so.
   */
  cite(section: string, quote: string): Citation {
    const own = this.says(section, quote);
    if (own !== undefined) return own;
    if (this.#reference !== undefined)
      return { ...this.#reference.cite(section, quote), source: "reference" };
    throw new Error(`the runbook's section "${section}" does not say "${quote}"`);
  }

  /** The first code block of a section (in a given language, if named). */
  code(section: string, lang?: string): CodeBlock {
    const block = this.section(section).code.find((c) => lang === undefined || c.lang === lang);
    if (block === undefined) throw new Error(`the runbook's section "${section}" has no ${lang ?? ""} code`);
    return block;
  }

  /** A unit file as the runbook gives it (its code block), parsed like a checkout's. */
  unit(name: string): UnitFile {
    const block = this.sections
      .flatMap((section) => section.code)
      .find((c) => c.lang === "ini" && c.text.includes(`/etc/systemd/system/${name}`));
    if (block === undefined) {
      if (this.#reference !== undefined) return this.#reference.unit(name);
      throw new Error(`the runbook gives no unit ${name}`);
    }
    return new UnitFile(name, [{ file: this.file, text: block.text }]);
  }

  /** The runbook's nginx server block. */
  get nginx(): NginxDirective[] {
    return parseNginxConf(this.code(RunbookSections.nginx, "nginx").text);
  }

  /** The runbook's step 1, as written: `docker compose up -d db redis frontend prometheus grafana alertmanager`. */
  get composeUp(): { readonly command: string; readonly services: readonly RunbookService[] } {
    const command =
      this.commands(RunbookSections.startOrder).find((c) => c.startsWith("docker compose up -d")) ?? "";
    return { command, services: command.split(/\s+/).slice(4) as RunbookService[] };
  }

  /** The command lines of a bash block, comments and blank lines left out. */
  commands(section: string): string[] {
    return this.code(section, "bash")
      .text.split("\n")
      .map((line) => line.replace(/\s+#.*$/, "").trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
  }
}

/** The runbook's sections the harness cites, by what they are about. */
export const RunbookSections = {
  overview: "Обзор",
  why: "Почему гибридная архитектура? › Решение",
  diagram: "Архитектура сервисов",
  table: "Детальная таблица сервисов",
  timer: "Автообновление yt-dlp › Systemd Timer (04:00 UTC)",
  updateScript: "Автообновление yt-dlp › Скрипт обновления",
  nginx: "Конфигурация Nginx (Frontend)",
  backendUnit: "Systemd Unit Files › Backend Service",
  streamerUnit: "Systemd Unit Files › Streamer Service",
  systemdCommands: "Команды управления › Systemd сервисы",
  dockerCommands: "Команды управления › Docker сервисы",
  startOrder: "Порядок запуска › Правильный порядок",
  dont: "Порядок запуска › ⚠️ Что НЕ делать",
  port8000: "Troubleshooting › Конфликт порта 8000",
  nginx502: "Troubleshooting › Nginx 502 Bad Gateway",
  ytDlp: "Troubleshooting › yt-dlp ошибки",
  related: "Связанные документы",
} as const;

let reference: Runbook | undefined;
let current: Runbook | undefined;

/** The reference runbook, read once. */
export function referenceRunbook(): Runbook {
  reference ??= new Runbook(readFileSync(RUNBOOK_FILE, "utf8"), RUNBOOK_FILE);
  return reference;
}

/**
 * Reads a runbook: its text, against the reference for what it lacks. `given` names where the file came
 * from in the message when it cannot be read (`--runbook`, the profile's `runbook`).
 */
export function readRunbook(file: string, given: string, name = file): Runbook {
  if (path.resolve(file) === RUNBOOK_FILE) return referenceRunbook();
  let markdown: string;
  try {
    markdown = readFileSync(file, "utf8");
  } catch (error) {
    throw new UsageError(
      `${given} ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); expected the deployment's runbook, a Markdown file`,
    );
  }
  const ref = referenceRunbook();
  const read = new Runbook(markdown, path.resolve(file), ref, name);
  if (read.sections.length === 0)
    throw new UsageError(
      `${given} ${file}: no "##" section in it; expected the deployment's runbook (Markdown with its sections and bash blocks)`,
    );
  // The same text as the reference is the reference: nothing of it is "from the reference" then.
  return markdown === readFileSync(RUNBOOK_FILE, "utf8")
    ? new Runbook(markdown, path.resolve(file), undefined, name)
    : read;
}

/**
 * The runbook a checkout is judged by: `explicit` (`--runbook FILE`), else the profile's `runbook`
 * (relative to the checkout), else the checkout's DEPLOYMENT_ARCHITECTURE.md (`found`: the files of that
 * name in it, shallowest first), else the reference; `reference` then says why (a checkout without a
 * runbook is a finding, not bad input).
 */
export function runbookFor(
  checkoutDir: string,
  choice: {
    readonly explicit?: string | undefined;
    readonly profile?: string | undefined;
    readonly found: readonly string[];
  },
): { readonly runbook: Runbook; readonly reference?: string } {
  if (choice.explicit !== undefined && choice.explicit !== "")
    return { runbook: readRunbook(choice.explicit, "--runbook") };
  if (choice.profile !== undefined)
    return {
      runbook: readRunbook(path.join(checkoutDir, choice.profile), "the profile's runbook:", choice.profile),
    };
  const [own] = choice.found;
  if (own === undefined)
    return { runbook: referenceRunbook(), reference: `the checkout has no ${RUNBOOK_NAME}` };
  try {
    return { runbook: readRunbook(path.join(checkoutDir, own), "the checkout's", own) };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return { runbook: referenceRunbook(), reference: error.message };
  }
}

/** The runbook under test, for a progress line: its name in the checkout, or "the reference runbook". */
export function describeRunbook(rb: Runbook = runbook()): string {
  return rb.file === RUNBOOK_FILE ? `the reference runbook (${RUNBOOK_NAME})` : rb.name;
}

/** Makes `rb` the runbook under test for this process (readCheckout does, for the checkout it reads). */
export function useRunbook(rb: Runbook): void {
  current = rb;
}

/** The runbook under test: the one the checkout was read with (useRunbook), else the reference. */
export function runbook(): Runbook {
  current ??= referenceRunbook();
  return current;
}
