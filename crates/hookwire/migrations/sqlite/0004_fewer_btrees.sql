-- Fewer b-trees per row on the write path. Every b-tree a row touches costs an
-- insert and, per group commit, at least one more dirty page written to the WAL
-- (measured: writing and syncing those pages was ~14 % of the server's CPU in
-- the one-webhook benchmark).
--
-- deliveries: the table is keyed by its id (WITHOUT ROWID), so it is its own id
--   index: six b-trees per delivery instead of seven.
-- attempts: keyed by (delivery_id, attempt_number), the only way attempts are
--   read (a delivery's history) or deduplicated; the attempt id, a UUIDv7, needs
--   no index of its own. One b-tree per attempt instead of three.
--
-- Rebuilt by rename, copy, drop. sqlx runs this in a transaction with foreign
-- keys on (the pragma cannot change inside one), and dropping a parent table
-- deletes its rows first, cascading into its children. Renaming `deliveries`
-- first points the old attempts table's reference at `deliveries_old`; the old
-- attempts table is dropped before `deliveries_old`, so nothing cascades into
-- the new tables.

ALTER TABLE deliveries RENAME TO deliveries_old;
DROP INDEX deliveries_due;
DROP INDEX deliveries_webhook;
DROP INDEX deliveries_event;
DROP INDEX deliveries_webhook_window;
DROP INDEX deliveries_tenant_window;

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id       TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    status           TEXT NOT NULL
                     CHECK (status IN ('pending', 'retrying', 'delivered', 'failed')),
    attempt_count    INTEGER NOT NULL DEFAULT 0,
    -- When a worker may next claim it; a claim pushes it past the lease.
    next_attempt_at  INTEGER,
    lease_owner      TEXT,
    lease_expires_at INTEGER,
    last_http_status INTEGER,
    last_error       TEXT,
    last_attempt_at  INTEGER,
    created_at       INTEGER NOT NULL,
    completed_at     INTEGER,
    -- The event's type, so history filters by type without a join.
    event_type       TEXT NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
INSERT INTO deliveries SELECT * FROM deliveries_old;

CREATE TABLE attempts_new (
    id               TEXT NOT NULL,
    delivery_id      TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt_number   INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    duration_ms      INTEGER NOT NULL,
    http_status      INTEGER,
    error_kind       TEXT,
    error_message    TEXT,
    request_headers  TEXT,
    response_headers TEXT,
    response_body    TEXT,
    PRIMARY KEY (delivery_id, attempt_number)
) STRICT, WITHOUT ROWID;
INSERT INTO attempts_new SELECT * FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_new RENAME TO attempts;
DROP TABLE deliveries_old;

-- The worker's claim: unfinished deliveries by due time (partial: live queue
-- only). With `status` in it, the queue-depth gauge reads it alone: a lookup
-- into a WITHOUT ROWID table goes by text key, no longer by rowid.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, status)
    WHERE status IN ('pending', 'retrying');
-- A tenant's retry queue (tenant stats): only retrying rows, so the happy path
-- (pending → delivered) never writes to it.
CREATE INDEX deliveries_retrying ON deliveries (tenant_id, next_attempt_at)
    WHERE status = 'retrying';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id DESC);
CREATE INDEX deliveries_event ON deliveries (event_id);
-- Window statistics read only these (covering) indexes.
CREATE INDEX deliveries_webhook_window ON deliveries (webhook_id, created_at, status, last_attempt_at);
CREATE INDEX deliveries_tenant_window ON deliveries (tenant_id, created_at, status, webhook_id);
