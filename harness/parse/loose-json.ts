/**
 * Reading parsed YAML or JSON whose shape is not guaranteed (a user's configuration, a tool's output):
 * each helper yields the expected kind or an empty one, never throws.
 */
export type LooseObject = Record<string, unknown>;

export function looseObject(value: unknown): LooseObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as LooseObject) : {};
}

export function looseList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A scalar as text (strings, numbers, booleans), else `fallback`. */
export function looseText(value: unknown, fallback = ""): string {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : fallback;
}
