-- Operational webhooks: the operator's endpoints for hookwire's own events
-- about every tenant. They are the webhooks of one reserved tenant, so their
-- deliveries are signed, retried and kept like any other; the event types
-- they may subscribe to join the catalog.
INSERT OR IGNORE INTO tenants (id, name, created_at) VALUES ('tn_operator', 'operator', 0);
INSERT OR IGNORE INTO event_types (name, description) VALUES
    ('hookwire.webhook.disabled', 'A webhook was disabled (410 Gone, or failing for auto_disable_after).'),
    ('hookwire.delivery.exhausted', 'A delivery failed its last attempt.'),
    ('hookwire.webhook.created', 'A webhook was registered.'),
    ('hookwire.webhook.updated', 'A webhook was changed.'),
    ('hookwire.webhook.deleted', 'A webhook was deleted.');
