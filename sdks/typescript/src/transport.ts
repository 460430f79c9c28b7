/**
 * Sending one call: authentication, retries with backoff, errors, pages.
 *
 * Retried: 429 (always: the server refused before doing anything) and, when the
 * call is safe to repeat, 5xx answers and lost connections. A call is safe to
 * repeat when its method is idempotent or it carries an `Idempotency-Key` (a
 * publish); a connection that was refused is retried for every call. The wait
 * honours `Retry-After`; otherwise it doubles from 0.5 s (capped at 8 s) with
 * jitter. Only `fetch` is used, so this runs on Node ≥ 18, browsers and edge
 * runtimes alike.
 */

import { HookwireConnectionError, HookwireError } from "./errors.js";

/** One API call, described without sending it. */
export interface Call {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  headers?: Record<string, string>;
}

/** How a client talks to the server. */
export interface ClientOptions {
  /** Where `hookwire serve` listens, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  /** A tenant's API key or the admin token. */
  apiKey: string;
  /** Retries of one call (default 3). */
  maxRetries?: number;
  /** Per request, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** A `fetch` to use instead of the global one (proxies, tests, old runtimes). */
  fetch?: typeof fetch;
}

const IDEMPOTENT = new Set(["GET", "PUT", "PATCH", "DELETE"]);
const RETRY_STATUS = new Set([500, 502, 503, 504]);
/** Longest wait between two tries, whatever `Retry-After` says. */
const MAX_WAIT_SECONDS = 60;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function safeToRepeat(call: Call): boolean {
  return IDEMPOTENT.has(call.method) || call.headers?.["Idempotency-Key"] !== undefined;
}

/** Whether fetch's failure says the connection was never made. */
function refused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: string } } | undefined)?.cause;
  return cause?.code === "ECONNREFUSED";
}

export class Transport {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly maxRetries: number;
  private readonly timeoutMs: number;
  private readonly fetch: typeof fetch;

  constructor(options: ClientOptions) {
    if (!options.baseUrl) throw new TypeError("baseUrl is required, e.g. http://127.0.0.1:8080");
    if (!options.apiKey) throw new TypeError("apiKey is required (a tenant key or the admin token)");
    const maxRetries = options.maxRetries ?? 3;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError("maxRetries must be 0 or more");
    const chosen = options.fetch ?? globalThis.fetch;
    if (typeof chosen !== "function") throw new TypeError("no fetch in this runtime: pass options.fetch");
    this.base = options.baseUrl.replace(/\/+$/, "") + "/api/v1";
    this.headers = {
      authorization: `Bearer ${options.apiKey}`,
      accept: "application/json",
    };
    this.maxRetries = maxRetries;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.fetch = chosen;
  }

  private url(call: Call): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined && value !== null) params.set(key, String(value));
    }
    const query = params.toString();
    return this.base + call.path + (query ? `?${query}` : "");
  }

  private wait(tryNumber: number, retryAfter: number | undefined): number {
    if (retryAfter !== undefined) return Math.min(retryAfter, MAX_WAIT_SECONDS) * 1000;
    return Math.min(500 * 2 ** tryNumber, 8000) * (0.8 + Math.random() * 0.4);
  }

  private async send(call: Call): Promise<Response> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.timeoutMs);
    try {
      const headers: Record<string, string> = { ...this.headers, ...call.headers };
      let body: string | undefined;
      if (call.body !== undefined) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(call.body);
      }
      const response = await this.fetch(this.url(call), {
        method: call.method,
        headers,
        body,
        signal: controller.signal,
      });
      // Read the body before the timer stops guarding it.
      const text = await response.text();
      return new Response(text || null, { status: response.status, headers: response.headers });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Send `call` (with retries); its JSON answer, `undefined` for 204. */
  async call<T>(call: Call): Promise<T> {
    for (let tryNumber = 0; ; tryNumber++) {
      let response: Response;
      try {
        response = await this.send(call);
      } catch (error) {
        if (tryNumber < this.maxRetries && (refused(error) || safeToRepeat(call))) {
          await sleep(this.wait(tryNumber, undefined));
          continue;
        }
        const reason = error instanceof Error ? error.message : String(error);
        throw new HookwireConnectionError(`${call.method} ${call.path}: ${reason}`, { cause: error });
      }
      const retryable =
        response.status === 429 || (RETRY_STATUS.has(response.status) && safeToRepeat(call));
      if (retryable && tryNumber < this.maxRetries) {
        const error = HookwireError.fromResponse(response.status, response.headers, undefined);
        await sleep(this.wait(tryNumber, error.retryAfter));
        continue;
      }
      const text = await response.text();
      if (response.ok) return (text ? JSON.parse(text) : undefined) as T;
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      throw HookwireError.fromResponse(response.status, response.headers, body);
    }
  }

  /** Every item of a list, following `next_cursor` page by page as it is consumed. */
  async *pages<T>(call: Call): AsyncGenerator<T, void, undefined> {
    let cursor: string | undefined;
    do {
      const page = await this.call<{ data: T[]; next_cursor?: string | null }>({
        ...call,
        query: { ...call.query, cursor },
      });
      yield* page.data;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }
}
