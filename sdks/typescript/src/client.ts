/**
 * The client and its resources: every API operation as one method.
 *
 * Methods build a `Call` and hand it to the transport; list methods return an
 * async iterator over every item (`for await`), fetching pages as they are
 * consumed. `OPERATIONS` maps each OpenAPI `operationId` to its method; the test
 * suite checks it against the server's document, so a new endpoint without a
 * method fails the tests.
 */

import type {
  AuditEntry,
  CreatedKey,
  CreatedTenant,
  Delivery,
  DeliveryDetail,
  Event,
  EventDetail,
  EventType,
  Key,
  KeyDraft,
  ListQuery,
  PortalDraft,
  PortalLink,
  NewSecret,
  Published,
  Recovered,
  Replayed,
  Requeued,
  Tenant,
  TenantStats,
  TestResult,
  Webhook,
  WebhookDraft,
  WebhookPatch,
  WebhookStats,
  BulkRetry,
} from "./models.js";
import { type Call, type ClientOptions, Transport } from "./transport.js";

const id = (value: string) => encodeURIComponent(value);

/** A time as the API takes it: RFC 3339 text or a `Date`. */
export type Time = string | Date;
const time = (value: Time | undefined | null) => (value instanceof Date ? value.toISOString() : value);

/** Options of a publish. */
export interface PublishOptions {
  /** Only webhooks with no channels or this one receive the event. */
  channel?: string;
  /**
   * A repeat within 24 h returns the first event instead of a new one. When left
   * out a random key is made, so the client's own retries never publish twice.
   */
  idempotencyKey?: string;
  /**
   * On webhooks with `ordering: "fifo"`, events with the same key are
   * delivered one at a time in publish order.
   */
  orderingKey?: string;
}

function newIdempotencyKey(): string {
  const random = globalThis.crypto?.randomUUID?.();
  if (random) return `ts_${random}`;
  return `ts_${Date.now().toString(36)}${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

abstract class Resource {
  constructor(protected readonly t: Transport) {}
  protected call<T>(call: Call): Promise<T> {
    return this.t.call<T>(call);
  }
}

/** Accounts (admin token only): one per customer of your application. */
export class Tenants extends Resource {
  /** A new tenant and its first API key (`api_key` is shown only here). */
  create(name: string): Promise<CreatedTenant> {
    return this.call({ method: "POST", path: "/tenants", body: { name } });
  }
  list(query: ListQuery<"list_tenants"> = {}): AsyncGenerator<Tenant> {
    return this.t.pages({ method: "GET", path: "/tenants", query });
  }
  get(tenantId: string): Promise<Tenant> {
    return this.call({ method: "GET", path: `/tenants/${id(tenantId)}` });
  }
  /** Delete the tenant and everything it owns. */
  delete(tenantId: string): Promise<void> {
    return this.call({ method: "DELETE", path: `/tenants/${id(tenantId)}` });
  }
  /** A new API key for the tenant; `scopes` default to all three. */
  createKey(tenantId: string, draft: KeyDraft = {}): Promise<CreatedKey> {
    return this.call({ method: "POST", path: `/tenants/${id(tenantId)}/keys`, body: draft });
  }
  listKeys(tenantId: string): AsyncGenerator<Key> {
    return this.t.pages({ method: "GET", path: `/tenants/${id(tenantId)}/keys` });
  }
  /** Revoke a key: every node refuses it within seconds. */
  revokeKey(tenantId: string, keyId: string): Promise<void> {
    return this.call({ method: "DELETE", path: `/tenants/${id(tenantId)}/keys/${id(keyId)}` });
  }
  /** A portal link that opens the dashboard as this tenant alone (default: one hour, may change things). */
  createPortalSession(tenantId: string, draft: PortalDraft = {}): Promise<PortalLink> {
    return this.call({ method: "POST", path: `/tenants/${id(tenantId)}/portal-sessions`, body: draft });
  }
}

/** Dashboard links for the calling tenant's own customers. */
export class PortalSessions extends Resource {
  /** A portal link that opens the dashboard as the calling tenant alone. */
  create(draft: PortalDraft = {}): Promise<PortalLink> {
    return this.call({ method: "POST", path: "/portal-sessions", body: draft });
  }
}

/** The calling tenant's own API keys. */
export class Keys extends Resource {
  create(draft: KeyDraft = {}): Promise<CreatedKey> {
    return this.call({ method: "POST", path: "/keys", body: draft });
  }
  list(): AsyncGenerator<Key> {
    return this.t.pages({ method: "GET", path: "/keys" });
  }
  revoke(keyId: string): Promise<void> {
    return this.call({ method: "DELETE", path: `/keys/${id(keyId)}` });
  }
}

/** The catalog of event types (global; adding one needs the admin token). */
export class EventTypes extends Resource {
  list(): Promise<EventType[]> {
    return this.call({ method: "GET", path: "/event-types" });
  }
  create(type: EventType): Promise<EventType> {
    return this.call({ method: "POST", path: "/event-types", body: type });
  }
}

/** Filters of a webhook's delivery history. */
export type DeliveryQuery = Omit<ListQuery<"list_webhook_deliveries">, "since" | "until"> & {
  since?: Time;
  until?: Time;
};

/** The tenant's webhook subscriptions and what happened to them. */
export class Webhooks extends Resource {
  /** Register a webhook; the answer holds its `secret` (only here). */
  create(draft: WebhookDraft): Promise<Webhook> {
    return this.call({ method: "POST", path: "/webhooks", body: draft });
  }
  list(query: ListQuery<"list_webhooks"> = {}): AsyncGenerator<Webhook> {
    return this.t.pages({ method: "GET", path: "/webhooks", query });
  }
  get(webhookId: string): Promise<Webhook> {
    return this.call({ method: "GET", path: `/webhooks/${id(webhookId)}` });
  }
  /** Change the fields given (PATCH); `null` clears one, the others stay. */
  update(webhookId: string, patch: WebhookPatch): Promise<Webhook> {
    return this.call({ method: "PATCH", path: `/webhooks/${id(webhookId)}`, body: patch });
  }
  /** Replace every writable field (PUT); those left out take their defaults. */
  replace(webhookId: string, draft: WebhookDraft): Promise<Webhook> {
    return this.call({ method: "PUT", path: `/webhooks/${id(webhookId)}`, body: draft });
  }
  /** Delete it; its pending deliveries are cancelled. */
  delete(webhookId: string): Promise<void> {
    return this.call({ method: "DELETE", path: `/webhooks/${id(webhookId)}` });
  }
  /** Deliver a `webhook.test` event now (one attempt) and say how it went. */
  test(webhookId: string): Promise<TestResult> {
    return this.call({ method: "POST", path: `/webhooks/${id(webhookId)}/test` });
  }
  /** A new secret (given or generated); the old one signs alongside for 24 h. */
  rotateSecret(webhookId: string, secret?: string): Promise<NewSecret> {
    return this.call({
      method: "POST",
      path: `/webhooks/${id(webhookId)}/rotate-secret`,
      body: secret === undefined ? {} : { secret },
    });
  }
  /** Queue again its deliveries that failed since `since`. */
  recover(webhookId: string, since: Time): Promise<Recovered> {
    return this.call({ method: "POST", path: `/webhooks/${id(webhookId)}/recover`, body: { since: time(since) } });
  }
  /** Its deliveries, newest first. */
  deliveries(webhookId: string, query: DeliveryQuery = {}): AsyncGenerator<Delivery> {
    return this.t.pages({
      method: "GET",
      path: `/webhooks/${id(webhookId)}/deliveries`,
      query: { ...query, since: time(query.since), until: time(query.until) },
    });
  }
  /** Counts and success rate over `window` (`24h` by default, e.g. `7d`). */
  stats(webhookId: string, query: { window?: string } = {}): Promise<WebhookStats> {
    return this.call({ method: "GET", path: `/webhooks/${id(webhookId)}/stats`, query });
  }
}

/** Filters of the event list. */
export type EventQuery = Omit<ListQuery<"list_events">, "since" | "until"> & { since?: Time; until?: Time };

/** Publishing, and the events published. */
export class Events extends Resource {
  /** Publish an event; hookwire delivers it to every matching webhook. */
  publish(type: string, data: Record<string, unknown>, options: PublishOptions = {}): Promise<Published> {
    const body: Record<string, unknown> = { type, data };
    if (options.channel !== undefined) body.channel = options.channel;
    if (options.orderingKey !== undefined) body.ordering_key = options.orderingKey;
    return this.call({
      method: "POST",
      path: "/events",
      body,
      headers: { "Idempotency-Key": options.idempotencyKey ?? newIdempotencyKey() },
    });
  }
  /** Events, newest first. */
  list(query: EventQuery = {}): AsyncGenerator<Event> {
    return this.t.pages({
      method: "GET",
      path: "/events",
      query: { ...query, since: time(query.since), until: time(query.until) },
    });
  }
  /** One event with its deliveries. */
  get(eventId: string): Promise<EventDetail> {
    return this.call({ method: "GET", path: `/events/${id(eventId)}` });
  }
  /** Deliver a stored event again to every matching webhook (or to one). */
  replay(eventId: string, options: { webhookId?: string } = {}): Promise<Replayed> {
    const body = options.webhookId === undefined ? {} : { webhook_id: options.webhookId };
    return this.call({ method: "POST", path: `/events/${id(eventId)}/replay`, body });
  }
}

/** A bulk retry's filter, with `Date`s allowed for the times. */
export type RetryFilter = Omit<BulkRetry, "since" | "until"> & { since: Time; until?: Time | null };

/** Single deliveries, and retrying many at once. */
export class Deliveries extends Resource {
  /** One delivery with its attempts. */
  get(deliveryId: string): Promise<DeliveryDetail> {
    return this.call({ method: "GET", path: `/deliveries/${id(deliveryId)}` });
  }
  /** Attempt it again now. */
  retry(deliveryId: string): Promise<void> {
    return this.call({ method: "POST", path: `/deliveries/${id(deliveryId)}/retry` });
  }
  /** Queue again every delivery that matches (`failed` ones by default), paced by the server. */
  retryMany(filter: RetryFilter): Promise<Requeued> {
    const body = { ...filter, since: time(filter.since), until: time(filter.until) };
    return this.call({ method: "POST", path: "/deliveries/retry", body });
  }
}

/**
 * Operational webhooks (admin token): the operator's endpoints for hookwire's
 * own events about every tenant (`hookwire.webhook.disabled`,
 * `hookwire.delivery.exhausted`, `hookwire.webhook.circuit_opened`,
 * `hookwire.webhook.created|updated|deleted`).
 */
export class OperationalWebhooks extends Resource {
  /** Register one; the answer holds its `secret` (only here). */
  create(draft: WebhookDraft): Promise<Webhook> {
    return this.call({ method: "POST", path: "/operational-webhooks", body: draft });
  }
  list(query: ListQuery<"list_operational_webhooks"> = {}): AsyncGenerator<Webhook> {
    return this.t.pages({ method: "GET", path: "/operational-webhooks", query });
  }
  delete(webhookId: string): Promise<void> {
    return this.call({ method: "DELETE", path: `/operational-webhooks/${id(webhookId)}` });
  }
}

/** Filters of the audit log. */
export type AuditQuery = Omit<ListQuery<"audit_log">, "since"> & { since?: Time };

/** Who changed what, when: every tenant's entries for the admin, its own for a tenant key. */
export class AuditLog extends Resource {
  /** Entries, newest first. */
  list(query: AuditQuery = {}): AsyncGenerator<AuditEntry> {
    return this.t.pages({ method: "GET", path: "/audit-log", query: { ...query, since: time(query.since) } });
  }
}

export class Stats extends Resource {
  /** Tenant-wide counts over `window` (`24h` by default). */
  get(query: { window?: string } = {}): Promise<TenantStats> {
    return this.call({ method: "GET", path: "/stats", query });
  }
}

/**
 * A hookwire client: `new Hookwire({ baseUrl, apiKey })`.
 *
 * Resources: `tenants` (admin), `keys`, `portalSessions`, `eventTypes`, `webhooks`, `events`,
 * `deliveries`, `stats`, `auditLog`; `publish` is also here, being the call most code makes.
 */
export class Hookwire {
  readonly tenants: Tenants;
  readonly keys: Keys;
  readonly portalSessions: PortalSessions;
  readonly eventTypes: EventTypes;
  readonly webhooks: Webhooks;
  readonly events: Events;
  readonly deliveries: Deliveries;
  readonly stats: Stats;
  readonly auditLog: AuditLog;
  readonly operationalWebhooks: OperationalWebhooks;

  constructor(options: ClientOptions) {
    const transport = new Transport(options);
    this.tenants = new Tenants(transport);
    this.keys = new Keys(transport);
    this.portalSessions = new PortalSessions(transport);
    this.eventTypes = new EventTypes(transport);
    this.webhooks = new Webhooks(transport);
    this.events = new Events(transport);
    this.deliveries = new Deliveries(transport);
    this.stats = new Stats(transport);
    this.auditLog = new AuditLog(transport);
    this.operationalWebhooks = new OperationalWebhooks(transport);
  }

  /** Same as `events.publish`. */
  publish(type: string, data: Record<string, unknown>, options: PublishOptions = {}): Promise<Published> {
    return this.events.publish(type, data, options);
  }
}

/** Each OpenAPI `operationId` and the method that implements it (`resource.method`). */
export const OPERATIONS: Readonly<Record<string, string>> = {
  create_tenant: "tenants.create",
  list_tenants: "tenants.list",
  get_tenant: "tenants.get",
  delete_tenant: "tenants.delete",
  create_tenant_key: "tenants.createKey",
  list_tenant_keys: "tenants.listKeys",
  revoke_tenant_key: "tenants.revokeKey",
  create_key: "keys.create",
  list_keys: "keys.list",
  revoke_key: "keys.revoke",
  create_tenant_portal_session: "tenants.createPortalSession",
  create_portal_session: "portalSessions.create",
  list_event_types: "eventTypes.list",
  create_event_type: "eventTypes.create",
  create_webhook: "webhooks.create",
  list_webhooks: "webhooks.list",
  get_webhook: "webhooks.get",
  patch_webhook: "webhooks.update",
  put_webhook: "webhooks.replace",
  delete_webhook: "webhooks.delete",
  test_webhook: "webhooks.test",
  rotate_secret: "webhooks.rotateSecret",
  recover: "webhooks.recover",
  list_webhook_deliveries: "webhooks.deliveries",
  webhook_stats: "webhooks.stats",
  publish: "events.publish",
  list_events: "events.list",
  get_event: "events.get",
  replay: "events.replay",
  get_delivery: "deliveries.get",
  retry_delivery: "deliveries.retry",
  retry_deliveries: "deliveries.retryMany",
  tenant_stats: "stats.get",
  audit_log: "auditLog.list",
  create_operational_webhook: "operationalWebhooks.create",
  list_operational_webhooks: "operationalWebhooks.list",
  delete_operational_webhook: "operationalWebhooks.delete",
};
