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
