/** The report page's stylesheet, inlined so the page is one file that works offline and as an artifact. */
export const REPORT_STYLE = `
:root { --passed: #16a34a; --failed: #dc2626; --inconclusive: #d97706; --muted: #6b7280; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; color: #111827; margin: 0 auto; padding: 24px; max-width: 1100px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 0 0 4px; }
code, pre { font: 12px/1.4 ui-monospace, monospace; }
pre { background: #f3f4f6; padding: 8px; overflow-x: auto; white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
table { border-collapse: collapse; margin: 6px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
.muted { color: var(--muted); }
.counts { display: flex; gap: 12px; margin: 12px 0; }
.count { border: 1px solid #e5e7eb; border-radius: 6px; padding: 8px 16px; min-width: 120px; }
.count b { display: block; font-size: 26px; }
.status { display: inline-block; border-radius: 4px; padding: 0 6px; color: #fff; font-weight: 600; font-size: 12px; }
.passed { --status: var(--passed); }
.failed { --status: var(--failed); }
.inconclusive { --status: var(--inconclusive); }
.blocker { --status: var(--failed); }
.warning { --status: var(--inconclusive); }
.info { --status: #2563eb; }
.status { background: var(--status); }
.finding { border-left: 4px solid var(--status); padding: 4px 12px; margin: 8px 0; }
.finding p { margin: 2px 0; }
.count b { color: var(--status); }
.dot { display: inline-block; width: 10px; height: 10px; margin-right: 2px; background: var(--status, #e5e7eb); }
.test { border: 1px solid #e5e7eb; border-left: 4px solid var(--status); border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
.why { background: #fef2f2; }
.inconclusive .why { background: #fffbeb; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 12px; color: var(--muted); }
.legend svg { vertical-align: middle; }
svg text { font: 11px system-ui, sans-serif; fill: #374151; }
svg text.tick { fill: var(--muted); }
.timeline { margin: 8px 0; }
details summary { cursor: pointer; color: var(--muted); }
ol.runbook li { margin: 4px 0; }
.run-bar { display: inline-flex; width: 160px; height: 10px; background: #f3f4f6; vertical-align: middle; }
.run-bar span { background: var(--status); }
.this-run td { font-weight: 600; }
.test-trend td:nth-child(n + 2) { white-space: nowrap; }
.coverage tr.not-run td { color: var(--muted); }
h3 + table { margin-bottom: 16px; }
`;
