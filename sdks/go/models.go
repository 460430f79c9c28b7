package hookwire

import (
	"encoding/json"
	"time"
)

// The shapes of requests and answers. Each struct mirrors one schema of the
// server's OpenAPI document (the schema named in its comment) and the tests
// compare them field by field: a field the schema requires is a plain value; an
// optional one is a pointer (or slice/map) with omitempty.

// DeliveryStatus says where a delivery stands: pending, retrying, delivered or failed.
type DeliveryStatus string

// The delivery statuses.
const (
	StatusPending   DeliveryStatus = "pending"
	StatusRetrying  DeliveryStatus = "retrying"
	StatusDelivered DeliveryStatus = "delivered"
	StatusFailed    DeliveryStatus = "failed"
)

// Scope is what an API key may do: publish, read or manage.
type Scope string

// The scopes.
const (
	ScopePublish Scope = "publish"
	ScopeRead    Scope = "read"
	ScopeManage  Scope = "manage"
)

// Tenant (schema Tenant) is an account: one per customer of your application.
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// CreatedTenant (schema CreatedTenant) is a new tenant with its first API key,
// shown only here.
type CreatedTenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	APIKey    string    `json:"api_key"`
}

// Key (schema KeyView) is an API key without its secret part.
type Key struct {
	ID         string     `json:"id"`
	Name       *string    `json:"name,omitempty"`
	Prefix     string     `json:"prefix"`
	Scopes     []Scope    `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
}

// CreatedKey (schema CreatedKey) is a new API key; APIKey is shown only here.
type CreatedKey struct {
	ID        string     `json:"id"`
	APIKey    string     `json:"api_key"`
	Name      *string    `json:"name,omitempty"`
	Scopes    []Scope    `json:"scopes"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// KeyDraft (schema KeyDraft) asks for a new key; Scopes default to all three.
type KeyDraft struct {
	Name      *string    `json:"name,omitempty"`
	Scopes    []Scope    `json:"scopes,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// EventType (schema EventType) is an entry of the catalog.
type EventType struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

// RetryPolicy (schema RetryPolicy) is how a webhook's deliveries are retried.
type RetryPolicy struct {
	MaxAttempts    int `json:"max_attempts"`
	InitialDelayMs int `json:"initial_delay_ms"`
	MaxDelayMs     int `json:"max_delay_ms"`
}

// RetryPolicyDraft (schema RetryPolicyDraft): fields left nil take their defaults.
type RetryPolicyDraft struct {
	MaxAttempts    *int `json:"max_attempts,omitempty"`
	InitialDelayMs *int `json:"initial_delay_ms,omitempty"`
	MaxDelayMs     *int `json:"max_delay_ms,omitempty"`
}

// Webhook (schema WebhookView) is a webhook subscription; Secret is set only in
// the answer that created it.
type Webhook struct {
	ID                 string            `json:"id"`
	URL                string            `json:"url"`
	Events             []string          `json:"events"`
	Name               *string           `json:"name,omitempty"`
	Description        *string           `json:"description,omitempty"`
	IsActive           bool              `json:"is_active"`
	Channels           []string          `json:"channels"`
	Filter             map[string]any    `json:"filter,omitempty"`
	Ordering           string            `json:"ordering"`
	TimeoutSeconds     int               `json:"timeout_seconds"`
	Retry              RetryPolicy       `json:"retry"`
	Headers            map[string]string `json:"headers"`
	RateLimitPerSecond *int              `json:"rate_limit_per_second,omitempty"`
	SignatureScheme    string            `json:"signature_scheme"`
	PublicKey          *string           `json:"public_key,omitempty"`
	HasSecret          bool              `json:"has_secret"`
	// HasClientCertificate says whether a TLS client certificate is
	// presented to the receiver; the certificate itself is never shown.
	HasClientCertificate bool      `json:"has_client_certificate"`
	Secret               *string   `json:"secret,omitempty"`
	CreatedAt            time.Time `json:"created_at"`
	UpdatedAt            time.Time `json:"updated_at"`
	DisabledReason       *string   `json:"disabled_reason,omitempty"`
	// Circuit is the webhook's circuit breaker: "open" after
	// circuit_failure_threshold attempts in a row found the receiver down (its
	// deliveries wait, unattempted), "half_open" when the next delivery goes
	// as a probe.
	Circuit Circuit `json:"circuit"`
}

// Circuit (schema CircuitView) is a webhook's circuit breaker as of the
// request; the times are nil while it is closed.
type Circuit struct {
	// State is "closed", "open" or "half_open".
	State       string     `json:"state"`
	OpenedAt    *time.Time `json:"opened_at,omitempty"`
	NextProbeAt *time.Time `json:"next_probe_at,omitempty"`
}

// WebhookDraft (schema WebhookDraft) registers a webhook (POST) or replaces
// every writable field of one (PUT); nil fields take their defaults.
type WebhookDraft struct {
	URL                string            `json:"url"`
	Events             []string          `json:"events"`
	Name               *string           `json:"name,omitempty"`
	Description        *string           `json:"description,omitempty"`
	IsActive           *bool             `json:"is_active,omitempty"`
	Channels           []string          `json:"channels,omitempty"`
	Filter             map[string]any    `json:"filter,omitempty"`
	Ordering           string            `json:"ordering,omitempty"`
	TimeoutSeconds     *int              `json:"timeout_seconds,omitempty"`
	Retry              *RetryPolicyDraft `json:"retry,omitempty"`
	Headers            map[string]string `json:"headers,omitempty"`
	RateLimitPerSecond *int              `json:"rate_limit_per_second,omitempty"`
	SignatureScheme    string            `json:"signature_scheme,omitempty"`
	Secret             *string           `json:"secret,omitempty"`
	// ClientCertificate is presented when the receiver asks for one (mutual
	// TLS); nil on PUT keeps the current one.
	ClientCertificate *ClientCertificate `json:"client_certificate,omitempty"`
}

// ClientCertificate (schema ClientCertificateDraft) is a TLS client
// certificate, PEM (leaf first, then intermediates), and its private key, PEM.
type ClientCertificate struct {
	CertPEM string `json:"cert_pem"`
	KeyPEM  string `json:"key_pem"`
}

// WebhookPatch (schema WebhookPatch) changes the fields that are set; the
// others stay. Clear names fields to set to null (e.g. "description").
type WebhookPatch struct {
	URL                *string           `json:"url,omitempty"`
	Events             []string          `json:"events,omitempty"`
	Name               *string           `json:"name,omitempty"`
	Description        *string           `json:"description,omitempty"`
	IsActive           *bool             `json:"is_active,omitempty"`
	Channels           []string          `json:"channels,omitempty"`
	Filter             map[string]any    `json:"filter,omitempty"`
	Ordering           string            `json:"ordering,omitempty"`
	TimeoutSeconds     *int              `json:"timeout_seconds,omitempty"`
	Retry              *RetryPolicyDraft `json:"retry,omitempty"`
	Headers            map[string]string `json:"headers,omitempty"`
	RateLimitPerSecond *int              `json:"rate_limit_per_second,omitempty"`
	SignatureScheme    string            `json:"signature_scheme,omitempty"`
	Secret             *string           `json:"secret,omitempty"`
	// ClientCertificate replaces the TLS client certificate; name
	// "client_certificate" in Clear to remove it.
	ClientCertificate *ClientCertificate `json:"client_certificate,omitempty"`
	Clear             []string           `json:"-"`
}

// MarshalJSON sends the set fields, and null for each field named in Clear.
func (p WebhookPatch) MarshalJSON() ([]byte, error) {
	type plain WebhookPatch
	encoded, err := json.Marshal(plain(p))
	if err != nil || len(p.Clear) == 0 {
		return encoded, err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(encoded, &fields); err != nil {
		return nil, err
	}
	for _, name := range p.Clear {
		fields[name] = json.RawMessage("null")
	}
	return json.Marshal(fields)
}

// Delivery (schema DeliveryView) is one event to one webhook.
type Delivery struct {
	ID             string         `json:"id"`
	EventID        string         `json:"event_id"`
	EventType      string         `json:"event_type"`
	WebhookID      string         `json:"webhook_id"`
	Status         DeliveryStatus `json:"status"`
	AttemptCount   int            `json:"attempt_count"`
	CreatedAt      time.Time      `json:"created_at"`
	LastAttemptAt  *time.Time     `json:"last_attempt_at,omitempty"`
	NextAttemptAt  *time.Time     `json:"next_attempt_at,omitempty"`
	CompletedAt    *time.Time     `json:"completed_at,omitempty"`
	LastHTTPStatus *int           `json:"last_http_status,omitempty"`
	LastError      *string        `json:"last_error,omitempty"`
}

// Attempt (schema AttemptView) is one HTTP request of a delivery.
type Attempt struct {
	ID              string            `json:"id"`
	AttemptNumber   int               `json:"attempt_number"`
	StartedAt       time.Time         `json:"started_at"`
	DurationMs      int64             `json:"duration_ms"`
	HTTPStatus      *int              `json:"http_status,omitempty"`
	Error           *string           `json:"error,omitempty"`
	ErrorKind       *string           `json:"error_kind,omitempty"`
	RequestHeaders  map[string]string `json:"request_headers"`
	ResponseHeaders map[string]string `json:"response_headers"`
	ResponseBody    *string           `json:"response_body,omitempty"`
}

// DeliveryDetail (schema DeliveryDetailView) is a delivery with its attempts.
type DeliveryDetail struct {
	Delivery
	Attempts []Attempt `json:"attempts"`
}

// Event (schema EventView) is a published event.
type Event struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	Channel        *string         `json:"channel,omitempty"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey *string         `json:"idempotency_key,omitempty"`
	OrderingKey    *string         `json:"ordering_key,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
}

// EventDetail (schema EventDetailView) is an event with its deliveries.
type EventDetail struct {
	Event
	Deliveries []Delivery `json:"deliveries"`
}

// Published (schema Published) is the answer to a publish: the event and the
// deliveries it made.
type Published struct {
	ID         string     `json:"id"`
	Type       string     `json:"type"`
	CreatedAt  time.Time  `json:"created_at"`
	Deliveries []Delivery `json:"deliveries"`
}

// Replayed (schema Replayed) lists the new deliveries of a replay.
type Replayed struct {
	Deliveries []Delivery `json:"deliveries"`
}

// Requeued (schemas Requeued and Recovered) counts the deliveries queued again.
type Requeued struct {
	Requeued int `json:"requeued"`
}

// BulkRetry (schema BulkRetry) picks the deliveries to queue again; Status
// defaults to failed.
type BulkRetry struct {
	Since     time.Time       `json:"since"`
	Until     *time.Time      `json:"until,omitempty"`
	Status    *DeliveryStatus `json:"status,omitempty"`
	WebhookID *string         `json:"webhook_id,omitempty"`
	EventType *string         `json:"event_type,omitempty"`
}

// TestResult (schema TestResult) is the outcome of one test delivery.
type TestResult struct {
	DeliveryID   string         `json:"delivery_id"`
	Status       DeliveryStatus `json:"status"`
	HTTPStatus   *int           `json:"http_status,omitempty"`
	DurationMs   int64          `json:"duration_ms"`
	ResponseBody *string        `json:"response_body,omitempty"`
	Error        *string        `json:"error,omitempty"`
}

// NewSecret (schema NewSecret) is a webhook's new signing secret.
type NewSecret struct {
	Secret string `json:"secret"`
}

// PortalDraft (schema PortalDraft) asks for a portal link; nil fields take
// their defaults (one hour, not read-only).
type PortalDraft struct {
	ExpiresInSeconds *int  `json:"expires_in_seconds,omitempty"`
	ReadOnly         *bool `json:"read_only,omitempty"`
}

// PortalLink (schema PortalLink) opens the dashboard as one tenant alone; treat
// URL as a secret until ExpiresAt.
type PortalLink struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Actor (schema Actor) is who made a change: Type admin, api_key or portal,
// and the key's or portal session's ID (nil for the admin).
type Actor struct {
	Type string  `json:"type"`
	ID   *string `json:"id,omitempty"`
}

// AuditEntry (schema AuditEntryView) is one change: who did what to which
// object, when. Never a secret.
type AuditEntry struct {
	ID       string    `json:"id"`
	At       time.Time `json:"at"`
	Actor    Actor     `json:"actor"`
	Action   string    `json:"action"`
	TenantID *string   `json:"tenant_id,omitempty"`
	TargetID *string   `json:"target_id,omitempty"`
}

// WebhookStats (schema WebhookStatsView) counts a webhook's deliveries over a window.
type WebhookStats struct {
	Total          int        `json:"total"`
	Delivered      int        `json:"delivered"`
	Failed         int        `json:"failed"`
	Pending        int        `json:"pending"`
	SuccessRate    *float64   `json:"success_rate,omitempty"`
	AvgDurationMs  *float64   `json:"avg_duration_ms,omitempty"`
	LastDeliveryAt *time.Time `json:"last_delivery_at,omitempty"`
}

// FailingWebhook (schema FailingWebhook) is one of a tenant's most failing webhooks.
type FailingWebhook struct {
	WebhookID string `json:"webhook_id"`
	URL       string `json:"url"`
	Failures  int    `json:"failures"`
}

// TenantStats (schema TenantStatsView) counts a tenant's deliveries over a window.
type TenantStats struct {
	Total          int              `json:"total"`
	Delivered      int              `json:"delivered"`
	Failed         int              `json:"failed"`
	SuccessRate    *float64         `json:"success_rate,omitempty"`
	RetryQueueSize int              `json:"retry_queue_size"`
	TopFailing     []FailingWebhook `json:"top_failing"`
}
