import { Redis } from "ioredis";
import type { Stack } from "../stack/stack.ts";

/**
 * Runs `use` with a connection to the stack's Redis as the services on the host reach it (its
 * published loopback port, forwarded by the target), one attempt and no retries, closed after; `where`
 * says what it reached. A connection that fails is an error naming where it went.
 */
export async function withRedis<T>(
  stack: Stack,
  use: (redis: Redis, where: string) => Promise<T>,
): Promise<T> {
  const service = stack.deployment.service("redis");
  if (service === undefined) throw new Error("the checkout deploys no Redis");
  const hostPort = await stack.publishedPort(service, 6379);
  const port = await stack.host.loopbackPort(hostPort);
  const password = await stack.redisPassword();
  const where = `Redis on the host's :${hostPort} (127.0.0.1:${port} here${password === undefined ? "" : ", with its password"})`;
  const redis = new Redis({
    host: "127.0.0.1",
    port,
    ...(password === undefined ? {} : { password }),
    lazyConnect: true,
    connectTimeout: 5_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  // Errors are the command's to report; an unhandled 'error' event would only repeat them.
  redis.on("error", () => undefined);
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`${where} did not accept the harness's connection: ${(error as Error).message}`);
  }
  try {
    return await use(redis, where);
  } finally {
    redis.disconnect();
  }
}
