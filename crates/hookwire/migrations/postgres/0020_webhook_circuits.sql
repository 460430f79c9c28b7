-- A webhook's circuit breaker (delivery::circuit): its run of failed attempts
-- and, once open, when it opened and when its next probe may go. A row of its
-- own rather than columns on webhooks: every webhook update moves the webhook
-- generation and empties the fan-out caches, and failures are counted per
-- attempt. No row: closed with no failures.
CREATE TABLE webhook_circuits (
    webhook_id    TEXT PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    failures      INTEGER NOT NULL,
    opened_at     TIMESTAMPTZ,
    next_probe_at TIMESTAMPTZ,
    open_seconds  INTEGER NOT NULL DEFAULT 0
);
-- The operational event of a circuit opening joins the catalog.
INSERT INTO event_types (name, description) VALUES
    ('hookwire.webhook.circuit_opened', 'A webhook''s circuit opened: its deliveries wait, unattempted, for a probe.')
ON CONFLICT DO NOTHING;
