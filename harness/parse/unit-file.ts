/**
 * systemd unit files as systemd reads them (systemd.syntax(7)): sections, `Key=Value` assignments with
 * their line, `#`/`;` comments, backslash continuations, list settings that accumulate and reset on an
 * empty assignment, and drop-ins applied after the main file. Lines systemd would ignore are kept as
 * problems with their line, since systemd only logs them.
 */

export interface UnitAssignment {
  readonly section: string;
  readonly key: string;
  readonly value: string;
  /** The file the assignment is in (the unit file or one of its drop-ins). */
  readonly file: string;
  /** 1-based line where the assignment starts. */
  readonly line: number;
}

export interface UnitProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface UnitSource {
  readonly file: string;
  readonly text: string;
}

export class UnitFile {
  /** The unit's name, e.g. `sattva-backend.service`. */
  readonly name: string;
  /** The main file, then its drop-ins in the order systemd applies them. */
  readonly files: readonly string[];
  readonly assignments: readonly UnitAssignment[];
  readonly problems: readonly UnitProblem[];
  readonly sections: ReadonlySet<string>;

  constructor(name: string, sources: readonly UnitSource[]) {
    this.name = name;
    this.files = sources.map((source) => source.file);
    const assignments: UnitAssignment[] = [];
    const problems: UnitProblem[] = [];
    const sections = new Set<string>();
    for (const source of sources) parseInto(source, assignments, problems, sections);
    this.assignments = assignments;
    this.problems = problems;
    this.sections = sections;
  }

  /** `sattva-backend` for `sattva-backend.service`. */
  get stem(): string {
    return this.name.slice(0, this.name.lastIndexOf("."));
  }

  /** `service`, `timer`, ... */
  get type(): string {
    return this.name.slice(this.name.lastIndexOf(".") + 1);
  }

  /** The assignment in effect for a single-valued setting: the last one. */
  get(section: string, key: string): UnitAssignment | undefined {
    return this.assignments.findLast((a) => a.section === section && a.key === key);
  }

  /**
   * A list setting (After=, Environment=, ExecStart=...): every assignment since the last empty one,
   * which resets the list as it does in systemd.
   */
  all(section: string, key: string): UnitAssignment[] {
    const matching = this.assignments.filter((a) => a.section === section && a.key === key);
    const reset = matching.findLastIndex((a) => a.value === "");
    return matching.slice(reset + 1);
  }

  /** A space-separated list setting's items (After=a b, After=c), each with the assignment it came from. */
  items(section: string, key: string): { readonly item: string; readonly at: UnitAssignment }[] {
    return this.all(section, key).flatMap((at) => splitWords(at.value).map((item) => ({ item, at })));
  }

  /** `Environment=` as a map, later assignments winning, each with where it was set. */
  environment(): Map<string, { readonly value: string; readonly at: UnitAssignment }> {
    const env = new Map<string, { value: string; at: UnitAssignment }>();
    for (const at of this.all("Service", "Environment")) {
      for (const word of splitWords(at.value)) {
        const eq = word.indexOf("=");
        if (eq > 0) env.set(word.slice(0, eq), { value: word.slice(eq + 1), at });
      }
    }
    return env;
  }
}

function parseInto(
  source: UnitSource,
  assignments: UnitAssignment[],
  problems: UnitProblem[],
  sections: Set<string>,
): void {
  const lines = source.text.split(/\r?\n/);
  let section: string | undefined;
  for (let index = 0; index < lines.length; index++) {
    const startLine = index + 1;
    let line = (lines[index] ?? "").trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    // A trailing backslash joins the next line (with a space); comment lines inside are skipped.
    while (line.endsWith("\\") && index + 1 < lines.length) {
      line = line.slice(0, -1) + " ";
      let next: string;
      do next = (lines[++index] ?? "").trim();
      while ((next.startsWith("#") || next.startsWith(";")) && index + 1 < lines.length);
      if (!next.startsWith("#") && !next.startsWith(";")) line += next;
    }
    if (line.startsWith("[")) {
      if (!line.endsWith("]")) {
        problems.push({ file: source.file, line: startLine, message: `invalid section header ${line}` });
        continue;
      }
      section = line.slice(1, -1);
      sections.add(section);
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1) {
      problems.push({ file: source.file, line: startLine, message: `missing '=' in "${line}"` });
      continue;
    }
    if (section === undefined) {
      problems.push({ file: source.file, line: startLine, message: `assignment outside of a section` });
      continue;
    }
    assignments.push({
      section,
      key: line.slice(0, eq).trim(),
      value: line.slice(eq + 1).trim(),
      file: source.file,
      line: startLine,
    });
  }
}

/**
 * Splits a setting's value into words the way systemd does for command lines and lists: whitespace
 * separates, double or single quotes group, a backslash escapes the next character.
 */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < value.length; i++) {
    const char = value.charAt(i);
    if (char === "\\" && i + 1 < value.length) {
      word = (word ?? "") + value.charAt(++i);
    } else if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else word = (word ?? "") + char;
    } else if (char === '"' || char === "'") {
      quote = char;
      word ??= "";
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** ExecStart=-/usr/bin/x: the command's words without systemd's prefixes (`-`, `@`, `:`, `+`, `!`). */
export function commandWords(value: string): string[] {
  const words = splitWords(value);
  const [first] = words;
  if (first !== undefined) words[0] = first.replace(/^[-@:+!]+/, "");
  return words;
}

/** A systemd boolean (yes/true/on/1), as systemd parses it; undefined when the value is not one. */
export function unitBoolean(value: string): boolean | undefined {
  const lower = value.toLowerCase();
  if (["1", "yes", "y", "true", "t", "on"].includes(lower)) return true;
  if (["0", "no", "n", "false", "f", "off"].includes(lower)) return false;
  return undefined;
}

/** A systemd time span (`10`, `10s`, `2min`, `1h 30min`) in seconds; undefined when it is not one. */
export function timeSpanSeconds(value: string): number | undefined {
  const units: Record<string, number> = {
    us: 1e-6,
    usec: 1e-6,
    ms: 1e-3,
    msec: 1e-3,
    "": 1,
    s: 1,
    sec: 1,
    second: 1,
    seconds: 1,
    m: 60,
    min: 60,
    minute: 60,
    minutes: 60,
    h: 3600,
    hr: 3600,
    hour: 3600,
    hours: 3600,
    d: 86400,
    day: 86400,
    days: 86400,
    w: 604800,
    week: 604800,
    weeks: 604800,
  };
  const parts = value.trim().match(/^(?:\s*\d+(?:\.\d+)?\s*[a-z]*)+$/i);
  if (parts === null) return value.trim().toLowerCase() === "infinity" ? Infinity : undefined;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/gi)) {
    const factor = units[(unit ?? "").toLowerCase()];
    if (factor === undefined) return undefined;
    total += Number(amount) * factor;
  }
  return total;
}
