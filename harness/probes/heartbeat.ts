import type { Stack } from "../stack/stack.ts";
import { withRedis } from "./redis.ts";

/** What the streamer publishes to Redis on every loop (see fixtures/stacks/bundled/streamer/main.py). */
export interface Heartbeat {
  readonly ts: number;
  readonly extraction: "ok" | "error";
  readonly error: string | null;
  readonly yt_dlp_version: string;
  /** Seconds since it was published, by the host's clock. */
  readonly ageSeconds: number;
}

/**
 * The streamer's heartbeat read straight from Redis (through its published port), or undefined when
 * there is none; its age by Redis' own clock (TIME), the host's, whatever this machine's says.
 */
export async function readHeartbeat(stack: Stack): Promise<Heartbeat | undefined> {
  const read = await withRedis(stack, async (redis) => {
    const [text, [seconds = "0", micros = "0"]] = await Promise.all([
      redis.get("sattva:streamer:heartbeat"),
      redis.time(),
    ]);
    return { text, now: Number(seconds) + Number(micros) / 1e6 };
  });
  if (read.text?.startsWith("{") !== true) return undefined;
  const heartbeat = JSON.parse(read.text) as Omit<Heartbeat, "ageSeconds">;
  return { ...heartbeat, ageSeconds: read.now - heartbeat.ts };
}
