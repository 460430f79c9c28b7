-- History and statistics.

-- Deliveries carry their event's type, so history filters by type without a join.
ALTER TABLE deliveries ADD COLUMN event_type TEXT NOT NULL DEFAULT '';
UPDATE deliveries SET event_type = (SELECT e.event_type FROM events e WHERE e.id = deliveries.event_id);

-- Window statistics read only these (covering) indexes.
CREATE INDEX deliveries_webhook_window ON deliveries (webhook_id, created_at, status, last_attempt_at);
DROP INDEX deliveries_tenant_created;
CREATE INDEX deliveries_tenant_window ON deliveries (tenant_id, created_at, status, webhook_id);

-- Expiring idempotency keys touches only rows that still have one.
CREATE INDEX events_idempotency_expiry ON events (created_at)
    WHERE idempotency_key IS NOT NULL;
