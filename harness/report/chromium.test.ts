import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { CHROMIUM_MISSING, findChromium, screenshotPage } from "./chromium.ts";
import { earlierRun, fixtureRun } from "./fixtures/journals.ts";
import { renderHtml } from "./html-report.ts";

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const missing = (await findChromium()) === undefined;

/** Opens `page` in Chromium from a temporary file; returns its errors and the screenshot's bytes. */
async function openInChromium(page: string, timeoutMs?: number) {
  return withTempDir("chromium-test", async (dir) => {
    const html = path.join(dir, "page.html");
    const png = path.join(dir, "page.png");
    await writeFile(html, page);
    const { consoleErrors } = await screenshotPage(html, png, timeoutMs);
    return { consoleErrors, png: await readFile(png) };
  });
}

describe.skipIf(missing)(`in headless Chromium${missing ? ` (skipped: ${CHROMIUM_MISSING})` : ""}`, () => {
  it(
    "the run report opens without an error and is saved as a full-page PNG",
    { timeout: 60_000 },
    async () => {
      const report = renderHtml(fixtureRun, [earlierRun("run-2", "2026-11-25T09:00:00.000Z", 12, "passed")]);
      const { consoleErrors, png } = await openInChromium(report);
      expect(consoleErrors).toEqual([]);
      expect(png.subarray(0, 8)).toEqual(PNG_SIGNATURE);
      // The IHDR chunk: the whole page, taller than the 1280x900 window.
      expect(png.readUInt32BE(16)).toBe(1280);
      expect(png.readUInt32BE(20)).toBeGreaterThan(900);
    },
  );

  it(
    "a page that logs an error, throws and misses a file is reported with each",
    { timeout: 60_000 },
    async () => {
      const broken = `<!doctype html><meta charset="utf-8"><title>broken</title>
<script>console.error("logged on purpose", 42)</script>
<script>throw new Error("thrown on purpose")</script>
<img src="missing.png" alt="">`;
      const { consoleErrors } = await openInChromium(broken);
      expect(consoleErrors).toHaveLength(3);
      expect(consoleErrors).toEqual(
        expect.arrayContaining([
          "console.error: logged on purpose 42",
          expect.stringMatching(/^uncaught: Error: thrown on purpose/),
          expect.stringMatching(
            /^network: Failed to load resource: net::ERR_FILE_NOT_FOUND \(file:\/\/.*missing\.png\)$/,
          ),
        ]),
      );
    },
  );

  it("gives up at its deadline", { timeout: 60_000 }, async () => {
    await expect(openInChromium("<p>slow to start</p>", 1)).rejects.toThrow(
      /chromium did not load and capture .*page\.html within 0.001s/,
    );
  });
});
