import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { withTempDir } from "../lifecycle/temp-dir.ts";
import { writeBrokenStack } from "../testing/broken-stack.ts";
import { BUNDLED_STACK, DEFAULT_LAYOUT, openStackDir } from "./stack-layout.ts";

/** A copy of the bundled stack to alter (a harmless breakage keeps every file in place). */
const copyOfStack = (dir: string) => writeBrokenStack("timer-other-hour", path.join(dir, "stack"));

describe("openStackDir", () => {
  it("accepts the bundled stack with the default layout", async () => {
    const stack = await openStackDir(BUNDLED_STACK);
    expect(stack.layout).toEqual(DEFAULT_LAYOUT);
  });

  it("names a missing directory", async () => {
    await expect(openStackDir("/nonexistent/stack")).rejects.toThrow(
      "--stack /nonexistent/stack: no such directory (expected a checkout laid out like /opt/sattva-streamer)",
    );
  });

  it("names the first missing file and what it is for", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      await rm(path.join(stack, "systemd/yt-dlp-update.timer"));
      const error = await openStackDir(stack).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toBe(
        `--stack ${stack}: missing systemd/yt-dlp-update.timer, the daily yt-dlp update timer (\`sattva-chaos audit --stack ${stack}\` lists every difference from the runbook)`,
      );
    });
  });

  it("follows a checkout's own layout from its profile (sattva-chaos.json)", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      await mkdir(path.join(stack, "config"));
      await rename(path.join(stack, "systemd"), path.join(stack, "config", "systemd"));
      await expect(openStackDir(stack)).rejects.toThrow("missing systemd/sattva-backend.service");
      await writeFile(
        path.join(stack, "sattva-chaos.json"),
        JSON.stringify({ units: { dir: "config/systemd" } }),
      );
      expect((await openStackDir(stack)).layout.unitsDir).toBe("config/systemd");
      await writeFile(
        path.join(stack, "sattva-chaos.json"),
        JSON.stringify({
          units: { dir: "config/systemd" },
          compose: { services: { db: "postgres" }, images: { adminer: "python" } },
        }),
      );
      expect((await openStackDir(stack)).layout.composeServices).toMatchObject({
        postgres: "postgres",
        adminer: "python",
      });
    });
  });

  it("rejects a profile that is not JSON, or has an unknown key or a bad value, naming its path", async () => {
    await withTempDir("layout-test", async (dir) => {
      const stack = await copyOfStack(dir);
      const config = path.join(stack, "sattva-chaos.json");
      await writeFile(config, "{ units: ");
      await expect(openStackDir(stack)).rejects.toThrow(`${config}: not valid JSON`);
      await writeFile(config, JSON.stringify({ units: { dirr: "x" } }));
      await expect(openStackDir(stack)).rejects.toThrow('units.dirr: unknown key (did you mean "dir"?)');
      await writeFile(config, JSON.stringify({ units: { dir: 3 } }));
      await expect(openStackDir(stack)).rejects.toThrow("units.dir: expected string, got 3");
      await writeFile(config, JSON.stringify({ compose: { images: { db: "mysql" } } }));
      await expect(openStackDir(stack)).rejects.toThrow(
        'compose.images.db: expected one of "host", "postgres"',
      );
    });
  });
});
