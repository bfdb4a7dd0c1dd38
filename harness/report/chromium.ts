import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { writeFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { pathToFileURL } from "node:url";
import { EnvironmentError } from "../errors.ts";
import { teardownOnSignal } from "../lifecycle/teardown-on-signal.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { findProgram } from "../host/find-program.ts";
import { DevToolsPipe } from "./devtools-pipe.ts";

export const CHROMIUM_MISSING = "chromium is not installed (apt-get install chromium)";

/** Headless, and nothing that talks to the network: no updates, sync, safe browsing, metrics or DNS. */
const FLAGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-extensions",
  "--disable-background-networking",
  "--disable-sync",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--disable-client-side-phishing-detection",
  "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
  "--no-pings",
  // Should anything still try, no host name resolves.
  "--host-resolver-rules=MAP * ~NOTFOUND",
  // Containers give /dev/shm 64 MB, too little for a renderer.
  "--disable-dev-shm-usage",
  "--hide-scrollbars",
  "--mute-audio",
  "--window-size=1280,900",
  "--remote-debugging-pipe",
];

/** Debian's browser, then Google Chrome's (as CI runners carry it): both speak the same DevTools protocol. */
const BROWSERS = ["chromium", "google-chrome"];

/** Where a Chromium browser is installed, or undefined when none is. */
export async function findChromium(): Promise<string | undefined> {
  for (const browser of BROWSERS) {
    const file = await findProgram(browser);
    if (file !== undefined) return file;
  }
  return undefined;
}

export interface PageCheck {
  /** Errors the page logged or threw while loading, empty for a healthy page. */
  readonly consoleErrors: string[];
}

interface RemoteObject {
  readonly value?: unknown;
  readonly description?: string;
}

/** The error an event reports, if it is one: console.error(), an uncaught exception, an error log entry. */
function errorIn(method: string, params: Record<string, unknown>): string | undefined {
  if (method === "Runtime.consoleAPICalled" && params.type === "error") {
    const args = params.args as readonly RemoteObject[];
    return `console.error: ${args.map((arg) => arg.description ?? String(arg.value)).join(" ")}`;
  }
  if (method === "Runtime.exceptionThrown") {
    const details = params.exceptionDetails as { text: string; exception?: RemoteObject };
    return `uncaught: ${details.exception?.description ?? details.text}`;
  }
  if (method === "Log.entryAdded") {
    const entry = params.entry as { level: string; source: string; text: string; url?: string };
    if (entry.level === "error")
      return `${entry.source}: ${entry.text}${entry.url === undefined ? "" : ` (${entry.url})`}`;
  }
  return undefined;
}

/** Loads the page in a new tab, collecting its errors, and writes a full-page PNG of it. */
async function loadAndCapture(devtools: DevToolsPipe, htmlFile: string, pngFile: string): Promise<PageCheck> {
  const { targetId } = await devtools.send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = (await devtools.send("Target.attachToTarget", { targetId, flatten: true })) as {
    sessionId: string;
  };
  const consoleErrors: string[] = [];
  devtools.on(sessionId, (method, params) => {
    const error = errorIn(method, params);
    if (error !== undefined) consoleErrors.push(error);
  });
  const page = (method: string, params?: Record<string, unknown>) => devtools.send(method, params, sessionId);
  await Promise.all(["Runtime.enable", "Log.enable", "Page.enable"].map((method) => page(method)));
  const [navigation] = await Promise.all([
    page("Page.navigate", { url: pathToFileURL(htmlFile).href }),
    devtools.next(sessionId, "Page.loadEventFired"),
  ]);
  if (typeof navigation.errorText === "string")
    throw new Error(`could not open ${htmlFile}: ${navigation.errorText}`);
  const { cssContentSize } = (await page("Page.getLayoutMetrics")) as {
    cssContentSize: { width: number; height: number };
  };
  const clip = {
    x: 0,
    y: 0,
    width: Math.ceil(cssContentSize.width),
    height: Math.ceil(cssContentSize.height),
    scale: 1,
  };
  const { data } = (await page("Page.captureScreenshot", {
    format: "png",
    captureBeyondViewport: true,
    clip,
  })) as {
    data: string;
  };
  await writeFile(pngFile, Buffer.from(data, "base64"));
  return { consoleErrors };
}

/** Kills the browser and every process it started (its own process group), and waits for it to exit. */
async function killBrowser(browser: ChildProcess): Promise<void> {
  if (browser.exitCode !== null || browser.signalCode !== null || browser.pid === undefined) return;
  const exited = once(browser, "exit", { signal: AbortSignal.timeout(10_000) });
  process.kill(-browser.pid, "SIGKILL");
  await exited;
}

/**
 * Opens a local HTML file in headless Chromium (a throwaway profile, no network), returns the errors it
 * logged or threw while loading and saves a full-page screenshot to `pngFile`. The browser is killed
 * afterwards whatever happened; after `timeoutMs` the check fails.
 */
export async function screenshotPage(
  htmlFile: string,
  pngFile: string,
  timeoutMs = 60_000,
): Promise<PageCheck> {
  const chromium = await findChromium();
  if (chromium === undefined) throw new EnvironmentError(CHROMIUM_MISSING);
  return withTempDir("chromium", async (profile) => {
    const browser = spawn(chromium, [...FLAGS, `--user-data-dir=${profile}`], {
      // Its singleton socket and scratch files go under the profile, removed with it, not into /tmp.
      env: { ...process.env, TMPDIR: profile },
      detached: true,
      stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    });
    const unregister = teardownOnSignal(() => killBrowser(browser));
    let stderr = "";
    browser.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const devtools = new DevToolsPipe(browser.stdio[3] as Writable, browser.stdio[4] as Readable);
    browser.on("error", (error) => {
      devtools.close(error);
    });
    browser.on("exit", (code, signal) => {
      devtools.close(
        new Error(`chromium exited (${signal ?? `code ${code}`}) early; it said:\n${stderr.trim()}`),
      );
    });
    const deadline = setTimeout(() => {
      devtools.close(new Error(`chromium did not load and capture ${htmlFile} within ${timeoutMs / 1000}s`));
    }, timeoutMs);
    try {
      return await loadAndCapture(devtools, htmlFile, pngFile);
    } finally {
      clearTimeout(deadline);
      unregister();
      await killBrowser(browser);
    }
  });
}
