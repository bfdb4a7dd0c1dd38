import { request } from "undici";

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/** One GET with bounded time (probes must never hang on a broken service). */
export async function httpGet(url: string, timeoutMs = 5_000): Promise<HttpResponse> {
  const response = await request(url, { headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const body = await response.body.text();
  const contentType = response.headers["content-type"];
  return {
    status: response.statusCode,
    contentType: Array.isArray(contentType) ? contentType.join(",") : (contentType ?? ""),
    body,
  };
}

/**
 * One GET timed to its answer, with a wait longer than nginx's own 60 s timeouts so a hang shows as one
 * (its status and how long users wait) rather than as the probe's timeout.
 */
export async function timedHttpGet(
  url: string,
  timeoutMs = 120_000,
): Promise<HttpResponse & { readonly seconds: number }> {
  const started = performance.now();
  const response = await httpGet(url, timeoutMs);
  return { ...response, seconds: Math.round(performance.now() - started) / 1000 };
}

/** GET and parse JSON, naming the URL and status when the answer is not JSON. */
export async function httpGetJson(
  url: string,
  timeoutMs = 5_000,
): Promise<{ status: number; json: unknown }> {
  const response = await httpGet(url, timeoutMs);
  try {
    return { status: response.status, json: JSON.parse(response.body) as unknown };
  } catch {
    throw new Error(`GET ${url}: ${response.status}, not JSON: ${response.body.slice(0, 200)}`);
  }
}
