package hookwire

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Every API operation, one method each. Operations maps each OpenAPI
// operationId to its method; the tests check it against the server's document,
// so a new endpoint without a method fails them.

func escape(id string) string { return url.PathEscape(id) }

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Tenants are accounts (admin token only): one per customer of your application.
type Tenants struct{ c *Client }

// Create makes a tenant and its first API key (APIKey is shown only here).
func (r *Tenants) Create(ctx context.Context, name string) (*CreatedTenant, error) {
	var out CreatedTenant
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/tenants", body: map[string]string{"name": name}}, &out)
}

// List walks every tenant; limit is the page size (0: the server's default).
func (r *Tenants) List(ctx context.Context, limit int) *Iter[Tenant] {
	return newIter[Tenant](ctx, r.c, call{method: http.MethodGet, path: "/tenants", query: limitQuery(limit)})
}

// Get fetches one tenant.
func (r *Tenants) Get(ctx context.Context, tenantID string) (*Tenant, error) {
	var out Tenant
	return &out, r.c.do(ctx, call{method: http.MethodGet, path: "/tenants/" + escape(tenantID)}, &out)
}

// Delete deletes a tenant and everything it owns.
func (r *Tenants) Delete(ctx context.Context, tenantID string) error {
	return r.c.do(ctx, call{method: http.MethodDelete, path: "/tenants/" + escape(tenantID)}, nil)
}

// CreateKey makes a new API key for the tenant.
func (r *Tenants) CreateKey(ctx context.Context, tenantID string, draft KeyDraft) (*CreatedKey, error) {
	var out CreatedKey
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/tenants/" + escape(tenantID) + "/keys", body: draft}, &out)
}

// ListKeys walks the tenant's keys (without key material).
func (r *Tenants) ListKeys(ctx context.Context, tenantID string) *Iter[Key] {
	return newIter[Key](ctx, r.c, call{method: http.MethodGet, path: "/tenants/" + escape(tenantID) + "/keys"})
}

// RevokeKey revokes a key: every node refuses it within seconds.
func (r *Tenants) RevokeKey(ctx context.Context, tenantID, keyID string) error {
	return r.c.do(ctx, call{method: http.MethodDelete, path: "/tenants/" + escape(tenantID) + "/keys/" + escape(keyID)}, nil)
}

// CreatePortalSession makes a link that opens the dashboard as this tenant alone.
func (r *Tenants) CreatePortalSession(ctx context.Context, tenantID string, draft PortalDraft) (*PortalLink, error) {
	var out PortalLink
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/tenants/" + escape(tenantID) + "/portal-sessions", body: draft}, &out)
}

// PortalSessions are dashboard links for the calling tenant's own customers.
type PortalSessions struct{ c *Client }

// Create makes a link that opens the dashboard as the calling tenant alone.
func (r *PortalSessions) Create(ctx context.Context, draft PortalDraft) (*PortalLink, error) {
	var out PortalLink
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/portal-sessions", body: draft}, &out)
}

// Keys are the calling tenant's own API keys.
type Keys struct{ c *Client }

// Create makes a new key for the calling tenant.
func (r *Keys) Create(ctx context.Context, draft KeyDraft) (*CreatedKey, error) {
	var out CreatedKey
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/keys", body: draft}, &out)
}

// List walks the calling tenant's keys.
func (r *Keys) List(ctx context.Context) *Iter[Key] {
	return newIter[Key](ctx, r.c, call{method: http.MethodGet, path: "/keys"})
}

// Revoke revokes one of the calling tenant's keys.
func (r *Keys) Revoke(ctx context.Context, keyID string) error {
	return r.c.do(ctx, call{method: http.MethodDelete, path: "/keys/" + escape(keyID)}, nil)
}

// EventTypes is the catalog of event types (global; adding needs the admin token).
type EventTypes struct{ c *Client }

// List gives the whole catalog.
func (r *EventTypes) List(ctx context.Context) ([]EventType, error) {
	var out []EventType
	return out, r.c.do(ctx, call{method: http.MethodGet, path: "/event-types"}, &out)
}

// Create adds a type to the catalog.
func (r *EventTypes) Create(ctx context.Context, eventType EventType) (*EventType, error) {
	var out EventType
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/event-types", body: eventType}, &out)
}

// Webhooks are the tenant's subscriptions and what happened to them.
type Webhooks struct{ c *Client }

// WebhookFilter narrows Webhooks.List.
type WebhookFilter struct {
	// Event keeps the webhooks that would receive this event type.
	Event string
	// IsActive keeps active (true) or inactive (false) webhooks.
	IsActive *bool
	// Limit is the page size (0: the server's default).
	Limit int
}

// Create registers a webhook; the answer holds its Secret (only here).
func (r *Webhooks) Create(ctx context.Context, draft WebhookDraft) (*Webhook, error) {
	var out Webhook
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/webhooks", body: draft}, &out)
}

// List walks the tenant's webhooks.
func (r *Webhooks) List(ctx context.Context, filter *WebhookFilter) *Iter[Webhook] {
	query := url.Values{}
	if filter != nil {
		query = limitQuery(filter.Limit)
		if filter.Event != "" {
			query.Set("event", filter.Event)
		}
		if filter.IsActive != nil {
			query.Set("is_active", strconv.FormatBool(*filter.IsActive))
		}
	}
	return newIter[Webhook](ctx, r.c, call{method: http.MethodGet, path: "/webhooks", query: query})
}

// Get fetches one webhook (never its secret).
func (r *Webhooks) Get(ctx context.Context, webhookID string) (*Webhook, error) {
	var out Webhook
	return &out, r.c.do(ctx, call{method: http.MethodGet, path: "/webhooks/" + escape(webhookID)}, &out)
}

// Update changes the fields set in patch (PATCH); the others stay.
func (r *Webhooks) Update(ctx context.Context, webhookID string, patch WebhookPatch) (*Webhook, error) {
	var out Webhook
	return &out, r.c.do(ctx, call{method: http.MethodPatch, path: "/webhooks/" + escape(webhookID), body: patch}, &out)
}

// Replace replaces every writable field (PUT); those left nil take their defaults.
func (r *Webhooks) Replace(ctx context.Context, webhookID string, draft WebhookDraft) (*Webhook, error) {
	var out Webhook
	return &out, r.c.do(ctx, call{method: http.MethodPut, path: "/webhooks/" + escape(webhookID), body: draft}, &out)
}

// Delete deletes a webhook; its pending deliveries are cancelled.
func (r *Webhooks) Delete(ctx context.Context, webhookID string) error {
	return r.c.do(ctx, call{method: http.MethodDelete, path: "/webhooks/" + escape(webhookID)}, nil)
}

// Test delivers a webhook.test event now (one attempt) and says how it went.
func (r *Webhooks) Test(ctx context.Context, webhookID string) (*TestResult, error) {
	var out TestResult
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/webhooks/" + escape(webhookID) + "/test"}, &out)
}

// RotateSecret sets a new secret (secret, or a generated one when empty); the
// old one signs alongside for 24 h.
func (r *Webhooks) RotateSecret(ctx context.Context, webhookID, secret string) (*NewSecret, error) {
	body := map[string]string{}
	if secret != "" {
		body["secret"] = secret
	}
	var out NewSecret
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/webhooks/" + escape(webhookID) + "/rotate-secret", body: body}, &out)
}

// Recover queues again the webhook's deliveries that failed since since.
func (r *Webhooks) Recover(ctx context.Context, webhookID string, since time.Time) (*Requeued, error) {
	var out Requeued
	body := map[string]string{"since": rfc3339(since)}
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/webhooks/" + escape(webhookID) + "/recover", body: body}, &out)
}

// DeliveryFilter narrows Webhooks.Deliveries.
type DeliveryFilter struct {
	Status    DeliveryStatus
	EventType string
	Since     time.Time
	Until     time.Time
	// Limit is the page size (0: the server's default).
	Limit int
}

// Deliveries walks a webhook's deliveries, newest first.
func (r *Webhooks) Deliveries(ctx context.Context, webhookID string, filter *DeliveryFilter) *Iter[Delivery] {
	query := url.Values{}
	if filter != nil {
		query = limitQuery(filter.Limit)
		setString(query, "status", string(filter.Status))
		setString(query, "event_type", filter.EventType)
		setTime(query, "since", filter.Since)
		setTime(query, "until", filter.Until)
	}
	return newIter[Delivery](ctx, r.c, call{method: http.MethodGet, path: "/webhooks/" + escape(webhookID) + "/deliveries", query: query})
}

// Stats counts a webhook's deliveries over window ("24h" when empty; e.g. "7d").
func (r *Webhooks) Stats(ctx context.Context, webhookID, window string) (*WebhookStats, error) {
	var out WebhookStats
	query := url.Values{}
	setString(query, "window", window)
	return &out, r.c.do(ctx, call{method: http.MethodGet, path: "/webhooks/" + escape(webhookID) + "/stats", query: query}, &out)
}

// Events is publishing, and the events published.
type Events struct{ c *Client }

// PublishOptions are the optional parts of a publish.
type PublishOptions struct {
	// Channel: only webhooks with no channels or this one receive the event.
	Channel string
	// IdempotencyKey makes a repeat within 24 h return the first event. When
	// empty a random key is made, so the client's own retries never publish twice.
	IdempotencyKey string
	// OrderingKey: on webhooks with Ordering "fifo", events with the same key
	// are delivered one at a time in publish order.
	OrderingKey string
}

func newIdempotencyKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "go_" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return "go_" + hex.EncodeToString(b[:])
}

// Publish publishes an event (data is encoded as JSON); hookwire delivers it to
// every matching webhook. options may be nil.
func (r *Events) Publish(ctx context.Context, eventType string, data any, options *PublishOptions) (*Published, error) {
	if options == nil {
		options = &PublishOptions{}
	}
	body := map[string]any{"type": eventType, "data": data}
	if options.Channel != "" {
		body["channel"] = options.Channel
	}
	if options.OrderingKey != "" {
		body["ordering_key"] = options.OrderingKey
	}
	key := options.IdempotencyKey
	if key == "" {
		key = newIdempotencyKey()
	}
	var out Published
	c := call{method: http.MethodPost, path: "/events", body: body, headers: map[string]string{"Idempotency-Key": key}}
	return &out, r.c.do(ctx, c, &out)
}

// EventFilter narrows Events.List.
type EventFilter struct {
	Type    string
	Channel string
	Since   time.Time
	Until   time.Time
	// Limit is the page size (0: the server's default).
	Limit int
}

// List walks the tenant's events, newest first.
func (r *Events) List(ctx context.Context, filter *EventFilter) *Iter[Event] {
	query := url.Values{}
	if filter != nil {
		query = limitQuery(filter.Limit)
		setString(query, "type", filter.Type)
		setString(query, "channel", filter.Channel)
		setTime(query, "since", filter.Since)
		setTime(query, "until", filter.Until)
	}
	return newIter[Event](ctx, r.c, call{method: http.MethodGet, path: "/events", query: query})
}

// Get fetches one event with its deliveries.
func (r *Events) Get(ctx context.Context, eventID string) (*EventDetail, error) {
	var out EventDetail
	return &out, r.c.do(ctx, call{method: http.MethodGet, path: "/events/" + escape(eventID)}, &out)
}

// Replay delivers a stored event again to every matching webhook, or only to
// webhookID when it is not empty.
func (r *Events) Replay(ctx context.Context, eventID, webhookID string) (*Replayed, error) {
	body := map[string]string{}
	if webhookID != "" {
		body["webhook_id"] = webhookID
	}
	var out Replayed
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/events/" + escape(eventID) + "/replay", body: body}, &out)
}

// Deliveries are single deliveries, and retrying many at once.
type Deliveries struct{ c *Client }

// Get fetches one delivery with its attempts.
func (r *Deliveries) Get(ctx context.Context, deliveryID string) (*DeliveryDetail, error) {
	var out DeliveryDetail
	return &out, r.c.do(ctx, call{method: http.MethodGet, path: "/deliveries/" + escape(deliveryID)}, &out)
}

// Retry attempts a delivery again now.
func (r *Deliveries) Retry(ctx context.Context, deliveryID string) error {
	return r.c.do(ctx, call{method: http.MethodPost, path: "/deliveries/" + escape(deliveryID) + "/retry"}, nil)
}

// RetryMany queues again every delivery that matches (failed ones by default),
// paced by the server.
func (r *Deliveries) RetryMany(ctx context.Context, filter BulkRetry) (*Requeued, error) {
	var out Requeued
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/deliveries/retry", body: filter}, &out)
}

// OperationalWebhooks are the operator's endpoints for hookwire's own events
// about every tenant (admin token): hookwire.webhook.disabled,
// hookwire.delivery.exhausted, hookwire.webhook.circuit_opened,
// hookwire.webhook.created|updated|deleted.
type OperationalWebhooks struct{ c *Client }

// Create registers one; the answer holds its Secret (only here).
func (r *OperationalWebhooks) Create(ctx context.Context, draft WebhookDraft) (*Webhook, error) {
	var out Webhook
	return &out, r.c.do(ctx, call{method: http.MethodPost, path: "/operational-webhooks", body: draft}, &out)
}

// List walks them; limit is the page size (0: the server's default).
func (r *OperationalWebhooks) List(ctx context.Context, limit int) *Iter[Webhook] {
	return newIter[Webhook](ctx, r.c, call{method: http.MethodGet, path: "/operational-webhooks", query: limitQuery(limit)})
}

// Delete deletes one.
func (r *OperationalWebhooks) Delete(ctx context.Context, webhookID string) error {
	return r.c.do(ctx, call{method: http.MethodDelete, path: "/operational-webhooks/" + escape(webhookID)}, nil)
}

// AuditLog is who changed what, when: every tenant's entries for the admin, its
// own for a tenant key.
type AuditLog struct{ c *Client }

// AuditFilter narrows AuditLog.List.
type AuditFilter struct {
	// Action keeps one action, e.g. "webhook.update".
	Action string
	Since  time.Time
	// Limit is the page size (0: the server's default).
	Limit int
}

// List walks the entries, newest first.
func (r *AuditLog) List(ctx context.Context, filter *AuditFilter) *Iter[AuditEntry] {
	query := url.Values{}
	if filter != nil {
		query = limitQuery(filter.Limit)
		setString(query, "action", filter.Action)
		setTime(query, "since", filter.Since)
	}
	return newIter[AuditEntry](ctx, r.c, call{method: http.MethodGet, path: "/audit-log", query: query})
}

// Stats is the tenant-wide view.
type Stats struct{ c *Client }

// Get counts the tenant's deliveries over window ("24h" when empty).
func (r *Stats) Get(ctx context.Context, window string) (*TenantStats, error) {
	var out TenantStats
	query := url.Values{}
	setString(query, "window", window)
	return &out, r.c.do(ctx, call{method: http.MethodGet, path: "/stats", query: query}, &out)
}

// Publish is Events.Publish, being the call most code makes.
func (c *Client) Publish(ctx context.Context, eventType string, data any, options *PublishOptions) (*Published, error) {
	return c.Events.Publish(ctx, eventType, data, options)
}

// Operations maps each OpenAPI operationId to the method that implements it.
var Operations = map[string]string{
	"create_tenant":                "Tenants.Create",
	"list_tenants":                 "Tenants.List",
	"get_tenant":                   "Tenants.Get",
	"delete_tenant":                "Tenants.Delete",
	"create_tenant_key":            "Tenants.CreateKey",
	"list_tenant_keys":             "Tenants.ListKeys",
	"revoke_tenant_key":            "Tenants.RevokeKey",
	"create_key":                   "Keys.Create",
	"list_keys":                    "Keys.List",
	"revoke_key":                   "Keys.Revoke",
	"create_tenant_portal_session": "Tenants.CreatePortalSession",
	"create_portal_session":        "PortalSessions.Create",
	"list_event_types":             "EventTypes.List",
	"create_event_type":            "EventTypes.Create",
	"create_webhook":               "Webhooks.Create",
	"list_webhooks":                "Webhooks.List",
	"get_webhook":                  "Webhooks.Get",
	"patch_webhook":                "Webhooks.Update",
	"put_webhook":                  "Webhooks.Replace",
	"delete_webhook":               "Webhooks.Delete",
	"test_webhook":                 "Webhooks.Test",
	"rotate_secret":                "Webhooks.RotateSecret",
	"recover":                      "Webhooks.Recover",
	"list_webhook_deliveries":      "Webhooks.Deliveries",
	"webhook_stats":                "Webhooks.Stats",
	"publish":                      "Events.Publish",
	"list_events":                  "Events.List",
	"get_event":                    "Events.Get",
	"replay":                       "Events.Replay",
	"get_delivery":                 "Deliveries.Get",
	"retry_delivery":               "Deliveries.Retry",
	"retry_deliveries":             "Deliveries.RetryMany",
	"tenant_stats":                 "Stats.Get",
	"audit_log":                    "AuditLog.List",
	"create_operational_webhook":   "OperationalWebhooks.Create",
	"list_operational_webhooks":    "OperationalWebhooks.List",
	"delete_operational_webhook":   "OperationalWebhooks.Delete",
}

func limitQuery(limit int) url.Values {
	query := url.Values{}
	if limit > 0 {
		query.Set("limit", strconv.Itoa(limit))
	}
	return query
}

func setString(query url.Values, key, value string) {
	if value != "" {
		query.Set(key, value)
	}
}

func setTime(query url.Values, key string, value time.Time) {
	if !value.IsZero() {
		query.Set(key, rfc3339(value))
	}
}
