import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseNginxConf, type NginxDirective } from "../parse/nginx-conf.ts";
import { UnitFile } from "../parse/unit-file.ts";
import type { RunbookService } from "../profile/profile.ts";

/**
 * The runbook under test (DEPLOYMENT_ARCHITECTURE.md, in Russian), kept verbatim beside the bundled
 * stack. What it says is read from it, not restated: its units, nginx block, update script and start
 * order are parsed from its code blocks, and every quote a finding makes is checked against its section.
 */
export const RUNBOOK_FILE = fileURLToPath(
  new URL("../../fixtures/runbook/DEPLOYMENT_ARCHITECTURE.md", import.meta.url),
);

/** The runbook's words behind a finding: the section (headings joined by " › "), a quote from it, its line. */
export interface Citation {
  readonly section: string;
  readonly quote: string;
  /** The runbook's line where the quote starts. */
  readonly line: number;
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
  readonly sections: readonly RunbookSection[];

  constructor(markdown: string, file: string) {
    this.file = file;
    this.sections = parseSections(markdown);
  }

  section(path: string): RunbookSection {
    const found = this.sections.find((section) => section.path === path);
    if (found === undefined) throw new Error(`the runbook has no section "${path}"`);
    return found;
  }

  /** A quote from a section, checked: a citation the runbook does not contain is a bug here. */
  cite(section: string, quote: string): Citation {
    const found = this.section(section);
    const offset = found.text.indexOf(quote);
    if (offset === -1) throw new Error(`the runbook's section "${section}" does not say "${quote}"`);
    return { section, quote, line: found.line + found.text.slice(0, offset).split("\n").length - 1 };
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
    if (block === undefined) throw new Error(`the runbook gives no unit ${name}`);
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

let loaded: Runbook | undefined;

/** The bundled runbook, read once. */
export function runbook(): Runbook {
  loaded ??= new Runbook(readFileSync(RUNBOOK_FILE, "utf8"), RUNBOOK_FILE);
  return loaded;
}
