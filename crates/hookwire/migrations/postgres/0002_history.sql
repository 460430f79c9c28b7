-- History and statistics.

-- Deliveries carry their event's type, so history filters by type without a join.
ALTER TABLE deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
UPDATE deliveries d SET event_type = e.event_type FROM events e WHERE e.id = d.event_id;

-- Window statistics read only these indexes (index-only scans): per webhook and
-- per tenant, by creation time, with the status alongside.
CREATE INDEX deliveries_webhook_window ON deliveries (webhook_id, created_at)
    INCLUDE (status, last_attempt_at);
DROP INDEX deliveries_tenant_created;
CREATE INDEX deliveries_tenant_window ON deliveries (tenant_id, created_at)
    INCLUDE (status, webhook_id);

-- Expiring idempotency keys touches only rows that still have one.
CREATE INDEX events_idempotency_expiry ON events (created_at)
    WHERE idempotency_key IS NOT NULL;
