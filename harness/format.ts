/** Seconds elapsed since a `performance.now()` reading, as progress lines show them: "12.3s". */
export function secondsSince(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)}s`;
}
