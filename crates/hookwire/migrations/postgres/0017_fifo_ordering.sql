-- Ordered delivery. A webhook's `ordering` ('none' or 'fifo'); an event's
-- `ordering_key`; on a fifo webhook's deliveries, the line they wait in (the
-- event's key, '' for events without one) and their place in it
-- (`ordering_seq`, taken while the line's advisory lock is held, so it
-- follows commit order). Of each line's unfinished deliveries only the
-- earliest has a `next_attempt_at`; the others have none, so no claim sees
-- them until the store makes the next one due.
ALTER TABLE webhooks ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none'
    CHECK (ordering IN ('none', 'fifo'));
ALTER TABLE events ADD COLUMN ordering_key TEXT;
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT, ADD COLUMN ordering_seq BIGINT;
CREATE SEQUENCE deliveries_ordering_seq;
CREATE INDEX deliveries_fifo ON deliveries (webhook_id, ordering_key, ordering_seq)
    WHERE ordering_key IS NOT NULL AND status IN ('pending', 'retrying');
