/**
 * The shapes of requests and answers, named for use. Every type here is taken
 * from `openapi.ts`, which `npm run generate` makes from the server's OpenAPI
 * document; the test suite fails when that file is out of date, so these can
 * only change with the server.
 */

import type { components, operations } from "./openapi.js";

type Schemas = components["schemas"];

export type Tenant = Schemas["Tenant"];
export type CreatedTenant = Schemas["CreatedTenant"];
export type Key = Schemas["KeyView"];
export type CreatedKey = Schemas["CreatedKey"];
export type KeyDraft = Schemas["KeyDraft"];
export type Scope = Schemas["Scope"];
export type EventType = Schemas["EventType"];
export type Webhook = Schemas["WebhookView"];
export type Circuit = Schemas["CircuitView"];
export type CircuitState = Schemas["CircuitState"];
export type WebhookDraft = Schemas["WebhookDraft"];
export type WebhookPatch = Schemas["WebhookPatch"];
export type RetryPolicy = Schemas["RetryPolicy"];
export type TestResult = Schemas["TestResult"];
export type NewSecret = Schemas["NewSecret"];
export type WebhookStats = Schemas["WebhookStatsView"];
export type TenantStats = Schemas["TenantStatsView"];
export type Event = Schemas["EventView"];
export type EventDetail = Schemas["EventDetailView"];
export type Published = Schemas["Published"];
export type Replayed = Schemas["Replayed"];
export type Delivery = Schemas["DeliveryView"];
export type DeliveryDetail = Schemas["DeliveryDetailView"];
export type DeliveryStatus = Schemas["DeliveryStatus"];
export type Attempt = Schemas["AttemptView"];
export type BulkRetry = Schemas["BulkRetry"];
export type Requeued = Schemas["Requeued"];
export type Recovered = Schemas["Recovered"];
export type ErrorBody = Schemas["ErrorBody"];
export type PortalDraft = Schemas["PortalDraft"];
export type PortalLink = Schemas["PortalLink"];
export type AuditEntry = Schemas["AuditEntryView"];
export type AuditAction = Schemas["AuditAction"];

/** The query parameters of a list operation, without the cursor (the iterator's). */
export type ListQuery<K extends keyof operations> = Omit<
  NonNullable<operations[K]["parameters"]["query"]>,
  "cursor"
>;
