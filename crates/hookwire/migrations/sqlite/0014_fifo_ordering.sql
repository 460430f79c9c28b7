-- Ordered delivery. A webhook's `ordering` ('none' or 'fifo'); an event's
-- `ordering_key`; on a fifo webhook's deliveries, the line they wait in (the
-- event's key, '' for events without one). Of each line's unfinished
-- deliveries only the earliest (lowest rowid: publish order, the single
-- writer inserting in commit order) has a `next_attempt_at`; the others have
-- none, so no claim sees them until the store makes the next one due.
ALTER TABLE webhooks ADD COLUMN ordering TEXT NOT NULL DEFAULT 'none'
    CHECK (ordering IN ('none', 'fifo'));
ALTER TABLE events ADD COLUMN ordering_key TEXT;
ALTER TABLE deliveries ADD COLUMN ordering_key TEXT;
-- A line's unfinished deliveries in publish order (rowid ends every index).
CREATE INDEX deliveries_fifo ON deliveries (webhook_id, ordering_key)
    WHERE ordering_key IS NOT NULL AND status IN ('pending', 'retrying');
