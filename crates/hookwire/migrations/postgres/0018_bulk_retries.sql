-- Bulk retries under way (`POST /deliveries/retry`). A row holds what the
-- retry picks (its tenant, status, optional webhook and event type, and the
-- end of its window, fixed when it was accepted), how far it got (the last
-- delivery requeued, by (`after_created_at`, `after_id`): oldest first) and
-- when its next delivery is due. Workers requeue each retry's deliveries a
-- little ahead of their turn, `per_second` a second, and delete the row once
-- nothing is left; any node carries on a row another node started.
CREATE TABLE bulk_retries (
    id               BIGSERIAL PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    status           TEXT NOT NULL CHECK (status IN ('failed', 'delivered')),
    webhook_id       TEXT,
    event_type       TEXT,
    until_at         TIMESTAMPTZ NOT NULL,
    per_second       INTEGER NOT NULL CHECK (per_second > 0),
    after_created_at TIMESTAMPTZ NOT NULL,
    after_id         TEXT NOT NULL,
    next_due_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX bulk_retries_due ON bulk_retries (next_due_at);
