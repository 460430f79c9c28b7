-- The delivery workers that are alive: each writes its row every heartbeat, and
-- the leases of a worker whose row went stale (a killed node) are taken back by
-- the others instead of waiting out the lease.
CREATE TABLE workers (
    owner   TEXT PRIMARY KEY,
    seen_at TIMESTAMPTZ NOT NULL
);
