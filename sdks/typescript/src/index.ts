/**
 * hookwire for TypeScript: publish events, manage webhooks and verify deliveries.
 *
 * ```ts
 * import { Hookwire } from "hookwire";
 * const hw = new Hookwire({ baseUrl: "http://127.0.0.1:8080", apiKey: "hw_…" });
 * await hw.publish("order.created", { id: 42 });
 * ```
 *
 * Files: `client.ts` (the client, every operation), `transport.ts` (retries,
 * errors, pages), `errors.ts`, `models.ts` (named types over `openapi.ts`, which
 * is generated from the server's OpenAPI document), `signature.ts` (receiver-side
 * verification).
 */

export { Hookwire, OPERATIONS } from "./client.js";
export type { PublishOptions, Time, DeliveryQuery, EventQuery, RetryFilter, AuditQuery } from "./client.js";
export type { ClientOptions } from "./transport.js";
export { HookwireError, HookwireConnectionError } from "./errors.js";
export type { RateLimit } from "./errors.js";
export { verify, sign, WebhookVerificationError } from "./signature.js";
export type { HeaderSource } from "./signature.js";
export type * from "./models.js";
