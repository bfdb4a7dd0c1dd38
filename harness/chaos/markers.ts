import { randomBytes } from "node:crypto";
import { request } from "undici";
import type { Stack } from "../stack/stack.ts";

/**
 * Rows written through the deployment's own API (nginx -> backend -> PostgreSQL) before a fault, and
 * read back after recovery: the proof that nothing was lost.
 */
export class Markers {
  readonly prefix = `marker-${randomBytes(4).toString("hex")}-`;
  readonly #written = new Map<string, string>();
  readonly #stack: Stack;

  constructor(stack: Stack) {
    this.#stack = stack;
  }

  get count(): number {
    return this.#written.size;
  }

  async write(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const id = `${this.prefix}${this.#written.size}`;
      const payload = `payload of ${id} ${randomBytes(8).toString("hex")}`;
      const response = await request(this.#stack.host.url(3000, "/api/markers"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ id, payload }),
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const body = await response.body.text();
      if (response.statusCode !== 201)
        throw new Error(`writing marker ${id}: ${response.statusCode} ${body}`);
      this.#written.set(id, payload);
    }
  }

  /** One write attempt during a fault: its status, what it said and how long it took (it must not hang). */
  async attempt(): Promise<{ status: number; body: string; durationMs: number }> {
    const started = performance.now();
    const response = await request(this.#stack.host.url(3000, "/api/markers"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: `${this.prefix}attempt-${randomBytes(4).toString("hex")}`,
        payload: "during the fault",
      }),
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
    const body = await response.body.text();
    return { status: response.statusCode, body, durationMs: Math.round(performance.now() - started) };
  }

  /** Every marker written, read back through the API; returns what is missing or altered (empty: intact). */
  async missing(): Promise<string[]> {
    const lost: string[] = [];
    for (const [id, payload] of this.#written) {
      const response = await request(this.#stack.host.url(3000, `/api/markers/${id}`), {
        headersTimeout: 10_000,
        bodyTimeout: 10_000,
      });
      const body = await response.body.text();
      if (response.statusCode !== 200) lost.push(`${id}: ${response.statusCode}`);
      else if ((JSON.parse(body) as { payload: string }).payload !== payload)
        lost.push(`${id}: payload changed`);
    }
    return lost;
  }
}
