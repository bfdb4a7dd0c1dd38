import pg from "pg";
import type { Stack } from "../stack/stack.ts";

/**
 * Runs `use` with a connection to the stack's PostgreSQL as the services on the host reach it (its
 * published loopback port, forwarded by the target), with the credentials its compose file gives;
 * the connection is closed after. A connection refused is an error naming where it went.
 */
export async function withPostgres<T>(
  stack: Stack,
  use: (db: pg.Client) => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const connection = await stack.postgresConnection();
  const db = new pg.Client({ ...connection, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // An error after connect (the server going away mid-test) is the query's to report, not the process's.
  db.on("error", () => undefined);
  try {
    await db.connect();
  } catch (error) {
    throw new Error(
      `PostgreSQL at ${connection.host}:${connection.port} (database ${connection.database}, user ${connection.user}) did not accept the harness's connection: ${(error as Error).message}`,
    );
  }
  try {
    return await use(db);
  } finally {
    await db.end().catch(() => undefined);
  }
}

/**
 * Whether PostgreSQL takes a query now, and what it said: a SELECT as the deployment's user. Asked
 * often while it starts, so an attempt that gets no answer (a connection accepted on its published
 * port before the server behind it answers) is given up after 2 s, not waited out.
 */
export async function postgresReady(stack: Stack): Promise<{ ok: boolean; detail: string }> {
  try {
    return await withPostgres(
      stack,
      async (db) => {
        const { rows } = await db.query<{ version: string }>(
          "SELECT current_setting('server_version') AS version",
        );
        const { host, port, user } = db;
        return {
          ok: true,
          detail: `SELECT as ${user} on ${host}:${port} (the host's PostgreSQL port): PostgreSQL ${rows[0]?.version ?? "?"}`,
        };
      },
      2_000,
    );
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  }
}
