-- A webhook's failed deliveries, newest first: what one debugs from
-- (`GET /webhooks/{id}/deliveries?status=failed`). Without it that list walks
-- the webhook's whole history in `deliveries_webhook` to find the few failures
-- among its successes. Partial, so the happy path (pending → delivered) never
-- writes to it.
CREATE INDEX deliveries_webhook_failed ON deliveries (webhook_id, id DESC)
    WHERE status = 'failed';
