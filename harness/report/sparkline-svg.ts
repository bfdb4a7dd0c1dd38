import { html, type Html } from "./html.ts";

const WIDTH = 140;
const HEIGHT = 30;
const PAD = 4;

/**
 * A value across runs (oldest first) as a small inline SVG line: each run keeps its x position even
 * when it lacks the value, the newest value is the dot, and hovering shows every value.
 */
export function sparklineSvg(
  values: readonly (number | undefined)[],
  describe: (value: number) => string,
): Html {
  const known = values.flatMap((value, index) => (value === undefined ? [] : [{ value, index }]));
  if (known.length === 0) return html`<span class="muted">no data</span>`;
  const numbers = known.map((point) => point.value);
  const low = Math.min(...numbers);
  const span = Math.max(...numbers) - low || 1;
  const xOf = (index: number) =>
    PAD + (values.length === 1 ? 0 : (index / (values.length - 1)) * (WIDTH - 2 * PAD));
  const yOf = (value: number) => HEIGHT - PAD - ((value - low) / span) * (HEIGHT - 2 * PAD);
  const points = known.map((point) => `${xOf(point.index).toFixed(1)},${yOf(point.value).toFixed(1)}`);
  const last = known.at(-1);
  return html`<svg
    class="sparkline"
    viewBox="0 0 ${WIDTH} ${HEIGHT}"
    width="${WIDTH}"
    height="${HEIGHT}"
    role="img"
    aria-label="${numbers.map(describe).join(", ")}"
  >
    <title>${values.map((value) => (value === undefined ? "n/a" : describe(value))).join(" → ")}</title>
    <polyline points="${points.join(" ")}" fill="none" stroke="#2563eb" stroke-width="1.5" />
    ${last === undefined ? "" : html`<circle cx="${xOf(last.index)}" cy="${yOf(last.value)}" r="3" fill="#2563eb" />`}
  </svg>`;
}
