-- Dashboard sessions: a browser signed in to /ui (with the admin token, with a
-- tenant's API key, or through a portal link). The cookie holds an opaque token;
-- only its SHA-256 is kept. A session made with an API key ends with the key
-- (revoked = deleted), and every session ends with its tenant.
CREATE TABLE dashboard_sessions (
    id         TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    tenant_id  TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    key_id     TEXT REFERENCES api_keys (id) ON DELETE CASCADE,
    read_only  BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions (expires_at);
CREATE INDEX dashboard_sessions_key ON dashboard_sessions (key_id);
CREATE INDEX dashboard_sessions_tenant ON dashboard_sessions (tenant_id);
