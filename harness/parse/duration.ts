/** A Prometheus or nginx duration (`10s`, `1m30s`, `60`) in seconds; undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const units: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(trimmed)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g))
    seconds += Number(amount) * (units[unit ?? ""] ?? 0);
  return seconds;
}
