//! The audit log's SQL (PostgreSQL); the operations are shared
//! ([`crate::store::sql::audit`]). A NULL filter needs its type spelled
//! (`$1::text`): PostgreSQL infers a parameter's type from its first use.
//!
//! SQL text only: the control flow is shared.

use super::PgStore;
use crate::store::sql::audit::AuditSql;

impl AuditSql for PgStore {
    const INSERT: &'static str =
        "INSERT INTO audit_log (id, at, actor_type, actor_id, action, tenant_id, target_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const LIST: &'static str = "SELECT * FROM audit_log \
         WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR action = $2) \
           AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::text IS NULL OR id < $4) \
         ORDER BY id DESC LIMIT $5";
    const PURGE: &'static str = "DELETE FROM audit_log WHERE id IN \
           (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)";
}
