// Benchmark of the documented failures (not a test): runs the four scenarios once and prints, per
// test, time to detect, time to alert, time to recover and wall time, the suite's total, and beside
// them the floors the deployment's own timers set (RestartSec, alert `for:`, scrape interval).
// Run: npm run bench:scenarios   (about ten minutes)
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { secondsSince } from "../format.ts";
import { reportDir } from "../scenario/report-dir.ts";
import { RunEnv } from "../scenario/run-env.ts";
import { runScenarios } from "../scenario/run-scenarios.ts";
import { BUNDLED_STACK } from "../stack/stack-layout.ts";

const SCENARIOS = ["port-8000-conflict", "nginx-502", "db-not-ready", "yt-dlp-broken"];
const JOURNALS = reportDir("journals");

/** Lower bounds the deployment itself sets, whatever the harness does. */
const FLOORS: Record<string, string> = {
  "time to alert BackendDown (s)": "≥ 10 s (for: 10s) + up to 5 s scrape",
  "time to alert StreamerDown (s)": "≥ 10 s (for: 10s) + up to 5 s scrape",
  "time to alert YtDlpExtractionFailing (s)": "≥ 15 s (for: 15s) + up to 5 s streamer loop",
  "recovered by systemd in (s)": "≥ 10 s (RestartSec=10)",
};

interface Journal {
  scenario: string;
  test: string;
  verdict: { status: string };
  results: Record<string, unknown>;
  timeline: { atMs: number }[];
}

const started = Date.now();
const suiteStart = performance.now();
const { exitCode } = await runScenarios(SCENARIOS, undefined, {
  [RunEnv.target]: "container",
  [RunEnv.stack]: BUNDLED_STACK,
  [RunEnv.imageMode]: "offline",
});
const total = secondsSince(suiteStart);

const journals: Journal[] = [];
for (const file of (await readdir(JOURNALS, { recursive: true })).filter((f) => f.endsWith(".json"))) {
  const full = path.join(JOURNALS, file);
  if ((await stat(full)).mtimeMs >= started)
    journals.push(JSON.parse(await readFile(full, "utf8")) as Journal);
}

const out = (line = "") => process.stdout.write(`${line}\n`);
out(`\ndocumented failures benchmark (${new Date().toISOString()}), exit ${exitCode}`);
for (const journal of journals.sort((a, b) => a.scenario.localeCompare(b.scenario))) {
  const wall = (journal.timeline.at(-1)?.atMs ?? 0) / 1000;
  out(`\n${journal.scenario}: ${journal.test}  [${journal.verdict.status}, wall ${wall.toFixed(1)} s]`);
  for (const [key, value] of Object.entries(journal.results)) {
    if (!/time|recovered/.test(key)) continue;
    const floor = FLOORS[key];
    out(`  ${key.padEnd(48)} ${String(value).padStart(10)}${floor === undefined ? "" : `   floor ${floor}`}`);
  }
}
out(`\nsuite total (boot, provision and all scenarios): ${total}`);
process.exitCode = exitCode;
