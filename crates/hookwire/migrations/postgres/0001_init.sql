-- hookwire schema, PostgreSQL dialect. Times are timestamptz; lists are text[];
-- JSON is jsonb.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE api_keys (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    lookup_prefix TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX api_keys_lookup ON api_keys (lookup_prefix);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE event_types (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO event_types (name, description)
VALUES ('webhook.test', 'A test delivery sent by POST /api/v1/webhooks/{id}/test.');

CREATE TABLE webhooks (
    id                         TEXT PRIMARY KEY,
    -- NULL for global webhooks defined in the config file.
    tenant_id                  TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    url                        TEXT NOT NULL,
    name                       TEXT,
    description                TEXT,
    events                     TEXT[] NOT NULL,
    channels                   TEXT[] NOT NULL DEFAULT '{}',
    is_active                  BOOLEAN NOT NULL,
    timeout_seconds            INTEGER NOT NULL,
    retry_max_attempts         INTEGER NOT NULL,
    retry_initial_delay_ms     BIGINT NOT NULL,
    retry_max_delay_ms         BIGINT NOT NULL,
    headers                    JSONB NOT NULL DEFAULT '{}',
    secret                     TEXT NOT NULL,
    previous_secret            TEXT,
    previous_secret_expires_at TIMESTAMPTZ,
    disabled_reason            TEXT,
    -- Start of the current unbroken run of failures (for auto-disable).
    failing_since              TIMESTAMPTZ,
    created_at                 TIMESTAMPTZ NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhooks_tenant ON webhooks (tenant_id, id DESC);
-- Fan-out finds subscribers with `events && <matching patterns>`.
CREATE INDEX webhooks_events ON webhooks USING GIN (events);

CREATE TABLE events (
    id              TEXT PRIMARY KEY,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_type      TEXT NOT NULL,
    channel         TEXT,
    -- json, not jsonb: keeps the payload byte-for-byte as published.
    data            JSON NOT NULL,
    idempotency_key TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX events_idempotency ON events (tenant_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant ON events (tenant_id, id DESC);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status           TEXT NOT NULL
                     CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    -- When a worker may next claim it. A claim pushes it past the lease, so a
    -- crashed worker's delivery becomes due again by itself.
    next_attempt_at  TIMESTAMPTZ,
    lease_owner      TEXT,
    lease_expires_at TIMESTAMPTZ,
    last_http_status INTEGER,
    last_error       TEXT,
    last_attempt_at  TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL,
    completed_at     TIMESTAMPTZ
);
-- The worker's claim query: unfinished deliveries ordered by due time. Partial, so
-- it holds only the live queue, not the history.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id DESC);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_tenant_created ON deliveries (tenant_id, created_at);

CREATE TABLE attempts (
    id               TEXT PRIMARY KEY,
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt_number   INTEGER NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    duration_ms      INTEGER NOT NULL,
    http_status      INTEGER,
    error_kind       TEXT,
    error_message    TEXT,
    request_headers  JSONB,
    response_headers JSONB,
    response_body    TEXT,
    UNIQUE (delivery_id, attempt_number)
);
