-- A webhook may cap the deliveries its receiver gets per second, across all
-- nodes. The next free send slot of each capped webhook lives in a table of
-- its own (so taking a slot does not touch the webhook row, whose changes bump
-- the webhook generation and refresh every node's cache): generic cell rate
-- algorithm, one row per webhook, shared by every node.
ALTER TABLE webhooks ADD COLUMN rate_limit_per_second INTEGER;
CREATE TABLE webhook_send_slots (
    webhook_id TEXT PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    next_at    TIMESTAMPTZ NOT NULL
);
