import { randomBytes } from "node:crypto";
import type pg from "pg";
import { withPostgres } from "../probes/postgres.ts";
import { request } from "undici";
import { looseObject, looseText } from "../parse/loose-json.ts";
import type { Stack } from "../stack/stack.ts";

/** The schema the harness owns in the deployment's database, dropped when a chaos run ends. */
export const MARKER_SCHEMA = "sattva_chaos";

/**
 * Rows written before a fault and read back after recovery: the proof that nothing was lost. They are
 * written straight into PostgreSQL with `pg`, in a table of the harness's own schema, so any
 * deployment can be checked; where the profile declares the `markers-api` capability, rows are also
 * written and read through the application (nginx -> backend -> PostgreSQL). A write refused during a
 * fault must not appear afterwards (no phantom writes).
 */
/** A write through the application during a fault. */
export interface WriteAttempt {
  readonly status: number;
  readonly body: string;
  readonly durationMs: number;
}

/** What a write attempt got, for the results: "503 in 12 ms", or why none was tried. */
export function describeWrite(write: WriteAttempt | undefined): string {
  return write === undefined
    ? "not tried: the profile declares no markers-api capability (the application's write path)"
    : `${write.status} in ${write.durationMs} ms`;
}

export class Markers {
  readonly prefix = `marker-${randomBytes(4).toString("hex")}-`;
  readonly #direct = new Map<string, string>();
  readonly #throughApi = new Map<string, string>();
  /** Writes that were refused during a fault: none may exist after recovery. */
  readonly #refused: string[] = [];
  readonly #stack: Stack;

  constructor(stack: Stack) {
    this.#stack = stack;
  }

  get count(): number {
    return this.#direct.size + this.#throughApi.size;
  }

  /** Where the rows are written, for the timeline. */
  get where(): string {
    return this.#api
      ? `PostgreSQL (${MARKER_SCHEMA}.markers) and /api/markers`
      : `PostgreSQL (${MARKER_SCHEMA}.markers)`;
  }

  get #api(): boolean {
    return this.#stack.deployment.profile.capabilities.includes("markers-api");
  }

  async write(count: number): Promise<void> {
    await this.#withDatabase(async (db) => {
      await db.query(`CREATE SCHEMA IF NOT EXISTS ${MARKER_SCHEMA}`);
      await db.query(
        `CREATE TABLE IF NOT EXISTS ${MARKER_SCHEMA}.markers (id text PRIMARY KEY, payload text NOT NULL, written_at timestamptz NOT NULL DEFAULT now())`,
      );
      for (let i = 0; i < count; i++) {
        const id = `${this.prefix}db-${this.#direct.size}`;
        const payload = `payload of ${id} ${randomBytes(8).toString("hex")}`;
        await db.query(`INSERT INTO ${MARKER_SCHEMA}.markers (id, payload) VALUES ($1, $2)`, [id, payload]);
        this.#direct.set(id, payload);
      }
    });
    if (!this.#api) return;
    for (let i = 0; i < count; i++) {
      const id = `${this.prefix}${this.#throughApi.size}`;
      const payload = `payload of ${id} ${randomBytes(8).toString("hex")}`;
      const response = await this.#post(id, payload, 10_000);
      if (response.status !== 201)
        throw new Error(`writing marker ${id}: ${response.status} ${response.body}`);
      this.#throughApi.set(id, payload);
    }
  }

  /**
   * One write attempt through the application during a fault: its status, what it said and how long it
   * took (it must not hang). A refused write is remembered: it must not exist after recovery. Without
   * the markers API there is no write path to try: undefined (and `describe` says so).
   */
  async attempt(): Promise<WriteAttempt | undefined> {
    if (!this.#api) return undefined;
    const started = performance.now();
    const id = `${this.prefix}attempt-${randomBytes(4).toString("hex")}`;
    const response = await this.#post(id, "during the fault", 30_000);
    if (response.status !== 201) this.#refused.push(id);
    return { ...response, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * Every marker written, read back in PostgreSQL (and through the application where it has the API),
   * and every refused write checked absent; returns what is missing, altered or phantom (empty: intact).
   */
  async missing(): Promise<string[]> {
    const lost: string[] = [];
    if (this.#direct.size > 0 || this.#refused.length > 0) {
      await this.#withDatabase(async (db) => {
        const rows = await db.query<{ id: string; payload: string }>(
          `SELECT id, payload FROM ${MARKER_SCHEMA}.markers WHERE id LIKE $1`,
          [`${this.prefix}%`],
        );
        const found = new Map(rows.rows.map((row) => [row.id, row.payload]));
        for (const [id, payload] of this.#direct) {
          if (!found.has(id)) lost.push(`${id}: not in ${MARKER_SCHEMA}.markers`);
          else if (found.get(id) !== payload) lost.push(`${id}: payload changed`);
        }
      });
    }
    for (const [id, payload] of this.#throughApi) {
      const response = await this.#get(id);
      if (response.status !== 200) lost.push(`${id}: ${response.status}`);
      else if (looseText(looseObject(JSON.parse(response.body))["payload"]) !== payload)
        lost.push(`${id}: payload changed`);
    }
    for (const id of this.#refused) {
      const response = await this.#get(id);
      if (response.status === 200)
        lost.push(`${id}: refused during the fault, yet written (a phantom write)`);
    }
    return lost;
  }

  /**
   * Drops the harness's schema, then looks: nothing of the run may be left in the deployment's
   * database. Returns what is left (empty: nothing).
   */
  async drop(): Promise<string[]> {
    if (this.#direct.size === 0) return [];
    return this.#withDatabase(async (db) => {
      await db.query(`DROP SCHEMA IF EXISTS ${MARKER_SCHEMA} CASCADE`);
      const left = await db.query<{ schema: string | null }>("SELECT to_regnamespace($1)::text AS schema", [
        MARKER_SCHEMA,
      ]);
      return left.rows[0]?.schema === null ? [] : [`schema ${MARKER_SCHEMA} is still in the database`];
    });
  }

  #withDatabase<T>(use: (db: pg.Client) => Promise<T>): Promise<T> {
    return withPostgres(this.#stack, use);
  }

  async #post(id: string, payload: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    const response = await request(await this.#stack.frontendUrl("/api/markers"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id, payload }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return { status: response.statusCode, body: await response.body.text() };
  }

  async #get(id: string): Promise<{ status: number; body: string }> {
    const response = await request(await this.#stack.frontendUrl(`/api/markers/${id}`), {
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return { status: response.statusCode, body: await response.body.text() };
  }
}
