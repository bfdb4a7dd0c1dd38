import type { Stack } from "../stack/stack.ts";

/** What the streamer publishes to Redis on every loop (see fixtures/stacks/bundled/streamer/main.py). */
export interface Heartbeat {
  readonly ts: number;
  readonly extraction: "ok" | "error";
  readonly error: string | null;
  readonly yt_dlp_version: string;
  /** Seconds since it was published, by the host's clock. */
  readonly ageSeconds: number;
}

/** The streamer's heartbeat read straight from Redis, or undefined when there is none. */
export async function readHeartbeat(stack: Stack): Promise<Heartbeat | undefined> {
  const redis = stack.deployment.service("redis") ?? "redis";
  const read = await stack.run(
    `docker compose ${stack.deployment.composeFileArgs} exec -T ${redis} redis-cli GET sattva:streamer:heartbeat; date +%s.%N`,
    { check: false },
  );
  const [text = "", now = "0"] = read.stdout.trim().split("\n");
  if (!text.startsWith("{")) return undefined;
  const heartbeat = JSON.parse(text) as Omit<Heartbeat, "ageSeconds">;
  return { ...heartbeat, ageSeconds: Number(now) - heartbeat.ts };
}
