import type { z } from "zod";

const pathText = (steps: readonly PropertyKey[]) =>
  steps.length === 0 ? "(top level)" : steps.map(String).join(".");

/**
 * Each problem zod found in `input` as one line a person can act on: where (a key path), what was
 * expected and what was there; an unknown key with the known one it likely meant, or where a key that
 * was `renamed` lives now.
 */
export function describeIssues(
  schema: z.core.$ZodType,
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  renamed: Readonly<Record<string, string>> = {},
): string[] {
  return issues.flatMap((issue) => describeIssue(schema, issue, input, renamed));
}

function describeIssue(
  schema: z.core.$ZodType,
  issue: z.core.$ZodIssue,
  input: unknown,
  renamed: Readonly<Record<string, string>>,
): string[] {
  if (issue.code === "unrecognized_keys") {
    const known = keysAt(schema, issue.path);
    return issue.keys.map((key) => {
      const at = pathText([...issue.path, key]);
      const now = renamed[at];
      if (now !== undefined) return `${at}: this key is now ${now}`;
      const guess = closest(key, known);
      return `${at}: unknown key${guess === undefined ? "" : ` (did you mean "${guess}"?)`}; expected one of ${known.join(", ")}`;
    });
  }
  const got = valueAt(input, issue.path);
  const shown = got === undefined ? "nothing" : JSON.stringify(got);
  if (issue.code === "invalid_type")
    return [`${pathText(issue.path)}: expected ${issue.expected}, got ${shown}`];
  if (issue.code === "invalid_value")
    return [
      `${pathText(issue.path)}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, got ${shown}`,
    ];
  const message = issue.message.replace(/^Invalid (?:input|discriminator value)[.:]\s*/, "");
  return [`${pathText(issue.path)}: ${message.charAt(0).toLowerCase()}${message.slice(1)}, got ${shown}`];
}

function valueAt(input: unknown, steps: readonly PropertyKey[]): unknown {
  let value = input;
  for (const step of steps) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[step];
  }
  return value;
}

/** The keys an object of the schema accepts at `steps` (defaults, optionals and arrays unwrapped). */
function keysAt(schema: z.core.$ZodType, steps: readonly PropertyKey[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  const unwrap = (s: z.core.$ZodType): z.core.$ZodType => {
    const def = s._zod.def as { type: string; innerType?: z.core.$ZodType };
    return ["default", "prefault", "optional", "nullable"].includes(def.type) && def.innerType !== undefined
      ? unwrap(def.innerType)
      : s;
  };
  for (const step of steps) {
    if (current === undefined) return [];
    const def = unwrap(current)._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
    };
    current =
      def.type === "object" ? def.shape?.[String(step)] : def.type === "array" ? def.element : undefined;
  }
  if (current === undefined) return [];
  const def = unwrap(current)._zod.def as { type: string; shape?: Record<string, unknown> };
  return def.type === "object" && def.shape !== undefined ? Object.keys(def.shape) : [];
}

/** The known key a typo most likely meant: within two edits, or the only one it is a prefix of. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(key.length / 4))
    ? best.key
    : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
