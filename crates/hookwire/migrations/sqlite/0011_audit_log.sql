-- The audit log: who changed what, when. Rows outlive what they name (a
-- deleted tenant's `tenant.delete` stays), so no foreign keys; the retention
-- job deletes them after retention_days like the rest of the history.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_type TEXT NOT NULL,
    actor_id   TEXT,
    action     TEXT NOT NULL,
    tenant_id  TEXT,
    target_id  TEXT
) STRICT;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
