/**
 * An env file (`.env`, `.env.example`, a unit's EnvironmentFile=) as Docker Compose and systemd read
 * it: `KEY=value` lines, `export` prefixes, `#` comments. Only names, lines and whether a value is set
 * are kept: a checkout's values may be secrets and never reach a finding, a report or a log.
 */
export interface EnvVariable {
  readonly name: string;
  readonly line: number;
  /** Whether the line gives a non-empty value that is not an obvious placeholder. */
  readonly hasValue: boolean;
}

const PLACEHOLDER = /^(?:<.*>|\$\{.*\}|changeme|change[-_]me|your[-_].*|xxx+|todo|replace[-_]?me|\.\.\.)$/i;

export function parseEnvFile(text: string): EnvVariable[] {
  return text.split(/\r?\n/).flatMap((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return [];
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (match === null) return [];
    const value = (match[2] ?? "")
      .replace(/\s+#.*$/, "")
      .replace(/^(["'])(.*)\1$/, "$2")
      .trim();
    return [{ name: match[1] ?? "", line: index + 1, hasValue: value !== "" && !PLACEHOLDER.test(value) }];
  });
}

/** Each `KEY=value` line's name and value (quotes and a trailing comment removed), in order. */
function* envAssignments(text: string): Generator<readonly [string, string]> {
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (match?.[1] === undefined) continue;
    const value = (match[2] ?? "")
      .replace(/\s+#.*$/, "")
      .replace(/^(["'])(.*)\1$/, "$2")
      .trim();
    yield [match[1], value];
  }
}

/**
 * Every value an env file sets, by name (a later line wins), as an app's dotenv reads it: for the
 * harness's own use only (chaos mode points a URL at its proxy); never copied into a report or a log.
 */
export function envFileValues(text: string): Map<string, string> {
  return new Map(envAssignments(text));
}

/**
 * The values an env file sets, for redaction only: what a checkout's own `.env` holds is never copied
 * into a report, a journal or a log. Plain numbers and booleans are left out (they are not secrets, and
 * replacing them would garble every log line with a port or a count in it).
 */
export function envValuesToRedact(text: string): { readonly name: string; readonly value: string }[] {
  return [...envAssignments(text)]
    .filter(([, value]) => value.length >= 4 && !/^(\d+|true|false|yes|no|on|off)$/i.test(value))
    .map(([name, value]) => ({ name, value }));
}

/**
 * The variables an env file sets to a plain number (a port, a count): the only values read for what
 * they say, never a secret's.
 */
export function numericEnvValues(text: string): Map<string, string> {
  const numbers = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*["']?(\d+)["']?\s*(?:#.*)?$/.exec(raw);
    if (match?.[1] !== undefined && match[2] !== undefined) numbers.set(match[1], match[2]);
  }
  return numbers;
}
