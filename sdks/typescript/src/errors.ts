/**
 * The one error type the client throws, and the rate-limit state it carries.
 * Callers branch on its helpers (`isNotFound()` …) rather than on numbers.
 */

/** The `X-RateLimit-*` headers of a response: the caller's budget per key. */
export interface RateLimit {
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  reset: number;
}

/** The headers' values, or `undefined` when the server sent none (limit off). */
export function rateLimitOf(headers: Headers): RateLimit | undefined {
  const limit = headers.get("x-ratelimit-limit");
  const remaining = headers.get("x-ratelimit-remaining");
  const reset = headers.get("x-ratelimit-reset");
  if (limit === null || remaining === null || reset === null) return undefined;
  return { limit: Number(limit), remaining: Number(remaining), reset: Number(reset) };
}

/** `Retry-After` in seconds (hookwire sends delta-seconds; dates are ignored). */
export function retryAfterOf(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.max(0, seconds) : undefined;
}

/**
 * A call that did not succeed: `status` is the HTTP status (`undefined` when no
 * answer came), `code` the server's snake_case `error` (`not_found`,
 * `invalid_field`, `rate_limited` …), `field` the request field it names.
 */
export class HookwireError extends Error {
  readonly status: number | undefined;
  readonly code: string;
  readonly field: string | undefined;
  readonly rateLimit: RateLimit | undefined;
  /** Seconds to wait before trying again (from `Retry-After`). */
  readonly retryAfter: number | undefined;

  constructor(
    status: number | undefined,
    code: string,
    message: string,
    extra: { field?: string; rateLimit?: RateLimit; retryAfter?: number } = {},
  ) {
    super(message);
    this.name = "HookwireError";
    this.status = status;
    this.code = code;
    this.field = extra.field;
    this.rateLimit = extra.rateLimit;
    this.retryAfter = extra.retryAfter;
  }

  /** Read the server's `{error, message, field?}` body; tolerate others. */
  static fromResponse(status: number, headers: Headers, body: unknown): HookwireError {
    const known =
      typeof body === "object" && body !== null && typeof (body as { error?: unknown }).error === "string";
    const parsed = known ? (body as { error: string; message?: unknown; field?: unknown }) : undefined;
    return new HookwireError(
      status,
      parsed ? parsed.error : "http_error",
      parsed ? String(parsed.message ?? "") : `HTTP ${status}`,
      {
        field: parsed && typeof parsed.field === "string" ? parsed.field : undefined,
        rateLimit: rateLimitOf(headers),
        retryAfter: retryAfterOf(headers),
      },
    );
  }

  /** 401: the key is missing, unknown, revoked or expired. */
  isUnauthorized(): boolean {
    return this.status === 401;
  }
  /** 403: the key lacks the scope the call needs (`insufficient_scope`). */
  isForbidden(): boolean {
    return this.status === 403;
  }
  /** 404: no such object for this key (another tenant's objects are 404 too). */
  isNotFound(): boolean {
    return this.status === 404;
  }
  /** 409: it already exists. */
  isConflict(): boolean {
    return this.status === 409;
  }
  /** 413: the body is over the server's `max_body_bytes`. */
  isTooLarge(): boolean {
    return this.status === 413;
  }
  /** 422: a field is invalid; `field` names it. */
  isInvalid(): boolean {
    return this.status === 422;
  }
  /** 429: out of budget; `retryAfter` says for how long. */
  isRateLimited(): boolean {
    return this.status === 429;
  }
}

/** No answer from the server (refused, reset, timed out) after every retry. */
export class HookwireConnectionError extends HookwireError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(undefined, "connection_error", message);
    this.name = "HookwireConnectionError";
    if (options?.cause !== undefined) (this as { cause?: unknown }).cause = options.cause;
  }
}
