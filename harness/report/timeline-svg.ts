import { Moment, runbookCommandOf, type TimelineEvent } from "../chaos/timeline.ts";
import { html, type Html } from "./html.ts";
import { formatSeconds, truncate } from "./run-summary.ts";

type Shape = "triangle" | "circle" | "diamond" | "square";

interface MarkerKind {
  readonly legend: string;
  readonly colour: string;
  readonly shape: Shape;
  readonly hollow?: boolean;
}

/** How each kind of moment is drawn: colour and shape both differ, so print and colour-blind readers can tell. */
export const MARKER_KINDS = {
  baseline: { legend: "steady state holds, markers written", colour: "#6b7280", shape: "circle" },
  fault: { legend: "fault injected", colour: "#dc2626", shape: "triangle" },
  proven: { legend: "fault proven", colour: "#dc2626", shape: "triangle", hollow: true },
  detected: { legend: "detected, seen", colour: "#d97706", shape: "circle" },
  alert: { legend: "alert fired", colour: "#7c3aed", shape: "diamond" },
  noAlert: { legend: "alert did not fire", colour: "#7c3aed", shape: "diamond", hollow: true },
  runbook: { legend: "runbook step", colour: "#2563eb", shape: "square" },
  recovered: { legend: "steady state back, markers intact", colour: "#16a34a", shape: "circle" },
  healed: { legend: "healed", colour: "#0d9488", shape: "square", hollow: true },
  other: { legend: "scenario's own moment", colour: "#6b7280", shape: "circle", hollow: true },
} as const satisfies Record<string, MarkerKind>;

export type MarkerKindName = keyof typeof MARKER_KINDS;

const KIND_OF_MOMENT: Readonly<Record<Moment, MarkerKindName>> = {
  [Moment.steadyStateHolds]: "baseline",
  [Moment.markersWritten]: "baseline",
  [Moment.faultInjected]: "fault",
  [Moment.faultProven]: "proven",
  [Moment.detected]: "detected",
  [Moment.seen]: "detected",
  [Moment.alertFired]: "alert",
  [Moment.alertDidNotFire]: "noAlert",
  [Moment.held]: "other",
  [Moment.steadyStateBack]: "recovered",
  [Moment.markersIntact]: "recovered",
  [Moment.healed]: "healed",
};

function kindOf(label: string): MarkerKindName {
  if (runbookCommandOf(label) !== undefined) return "runbook";
  return label in KIND_OF_MOMENT ? KIND_OF_MOMENT[label as Moment] : "other";
}

/** A marker of this kind centred on (x, y). */
export function marker(kindName: MarkerKindName, x: number, y: number): Html {
  const kind: MarkerKind = MARKER_KINDS[kindName];
  const paint =
    kind.hollow === true
      ? html`fill="#fff" stroke="${kind.colour}" stroke-width="2"`
      : html`fill="${kind.colour}"`;
  const r = 5;
  switch (kind.shape) {
    case "circle":
      return html`<circle cx="${x}" cy="${y}" r="${r}" ${paint} />`;
    case "square":
      return html`<rect x="${x - r}" y="${y - r}" width="${2 * r}" height="${2 * r}" ${paint} />`;
    case "diamond":
      return html`<polygon
        points="${x},${y - r - 1} ${x + r + 1},${y} ${x},${y + r + 1} ${x - r - 1},${y}"
        ${paint}
      />`;
    case "triangle":
      return html`<polygon points="${x - r - 1},${y - r} ${x + r + 1},${y - r} ${x},${y + r}" ${paint} />`;
  }
}

const WIDTH = 960;
const MARGIN = 16;
const AXIS_Y = 30;
const FIRST_ROW_Y = 56;
const ROW_HEIGHT = 16;
/** Roughly the width of a character at the labels' 11px size, to keep labels of close events apart. */
const CHAR_WIDTH = 6.2;
const LABEL_CHARS = 48;
const TICK_STEPS_S = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800];

const seconds = (ms: number) => formatSeconds(ms / 1000);

interface PlacedLabel {
  readonly event: TimelineEvent;
  readonly x: number;
  readonly row: number;
  readonly anchor: "start" | "end";
  readonly text: string;
}

/**
 * Puts each label in the first row where it does not overlap the one before it, so events seconds apart
 * stay readable; labels that would run past the right edge end at their marker instead.
 */
function placeLabels(events: readonly TimelineEvent[], xOf: (ms: number) => number): PlacedLabel[] {
  const rowEnds: number[] = [];
  return events.map((event) => {
    const x = xOf(event.atMs);
    // Which alert fired is worth a glance; other details are in the marker's tooltip.
    const alert = kindOf(event.label) === "alert" || kindOf(event.label) === "noAlert";
    const label = alert && event.detail !== undefined ? `${event.label}: ${event.detail}` : event.label;
    const text = `${truncate(label, LABEL_CHARS)} ${seconds(event.atMs)}`;
    const width = text.length * CHAR_WIDTH;
    const anchor = x + width <= WIDTH - MARGIN ? "start" : "end";
    const left = anchor === "start" ? x : x - width;
    let row = rowEnds.findIndex((end) => end + 8 <= left);
    if (row === -1) row = rowEnds.push(0) - 1;
    rowEnds[row] = left + width;
    return { event, x, row, anchor, text };
  });
}

/** Shades the fault's window: from the fault injected to the steady state back (or the end). */
function faultWindow(events: readonly TimelineEvent[], xOf: (ms: number) => number, endMs: number): Html {
  const injected = events.find((e) => e.label === Moment.faultInjected);
  if (injected === undefined) return html``;
  const back = events.find((e) => e.label === Moment.steadyStateBack && e.atMs >= injected.atMs);
  const from = xOf(injected.atMs);
  const to = xOf(back?.atMs ?? endMs);
  return html`<rect
    class="fault-window"
    x="${from}"
    y="${AXIS_Y - 9}"
    width="${Math.max(to - from, 1)}"
    height="18"
    fill="#fee2e2"
    ><title>
      fault in effect until ${back === undefined ? "the end" : "the steady state was back"}:
      ${seconds((back?.atMs ?? endMs) - injected.atMs)}
    </title></rect
  >`;
}

/**
 * A test's timeline as inline SVG: a time axis in seconds, a marker per event (shape and colour by
 * kind, details on hover) and its label, staggered in rows when events are close together.
 */
export function timelineSvg(events: readonly TimelineEvent[], durationMs = 0, title = "timeline"): Html {
  const sorted = [...events].sort((a, b) => a.atMs - b.atMs);
  const endMs = Math.max(durationMs, sorted.at(-1)?.atMs ?? 0, 1000);
  const xOf = (ms: number) => Math.round(MARGIN + (ms / endMs) * (WIDTH - 2 * MARGIN));
  const step = TICK_STEPS_S.find((s) => endMs / 1000 / s <= 10) ?? TICK_STEPS_S.at(-1) ?? 1;
  const ticks = Array.from({ length: Math.floor(endMs / 1000 / step) + 1 }, (_, i) => i * step * 1000);
  const labels = placeLabels(sorted, xOf);
  const height = FIRST_ROW_Y + Math.max(...labels.map((l) => l.row), 0) * ROW_HEIGHT + 10;
  const rowY = (row: number) => FIRST_ROW_Y + row * ROW_HEIGHT;
  return html`<svg
    class="timeline"
    viewBox="0 0 ${WIDTH} ${height}"
    width="100%"
    role="img"
    aria-label="${title}"
  >
    ${faultWindow(sorted, xOf, endMs)}
    <line x1="${MARGIN}" y1="${AXIS_Y}" x2="${WIDTH - MARGIN}" y2="${AXIS_Y}" stroke="#9ca3af" />
    ${ticks.map(
      (ms) =>
        html`<line
            x1="${xOf(ms)}"
            y1="${AXIS_Y - 4}"
            x2="${xOf(ms)}"
            y2="${AXIS_Y + 4}"
            stroke="#9ca3af"
          /><text class="tick" x="${xOf(ms)}" y="${AXIS_Y - 12}" text-anchor="middle">${seconds(ms)}</text> `,
    )}
    ${labels.map(
      ({ event, x, row, anchor, text }) =>
        html`<g class="event" data-kind="${kindOf(event.label)}"
          ><title>
            ${seconds(event.atMs)}: ${event.label}${event.detail === undefined ? "" : ` (${event.detail})`}</title
          ><line
            x1="${x}"
            y1="${AXIS_Y + 6}"
            x2="${x}"
            y2="${rowY(row) - 9}"
            stroke="#d1d5db"
          />${marker(kindOf(event.label), x, AXIS_Y)}<text x="${x}" y="${rowY(row)}" text-anchor="${anchor}"
            >${text}</text
          ></g
        > `,
    )}
  </svg>`;
}
