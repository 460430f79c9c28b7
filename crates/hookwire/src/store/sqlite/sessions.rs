//! Dashboard sessions' SQL (SQLite); the operations are shared
//! ([`crate::store::sql::sessions`]).
//!
//! SQL text only: the control flow is shared.

use super::SqliteStore;
use crate::store::sql::sessions::SessionSql;

impl SessionSql for SqliteStore {
    const INSERT: &'static str = "INSERT INTO dashboard_sessions \
           (id, token_hash, kind, tenant_id, key_id, read_only, created_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    const BY_HASH: &'static str = "SELECT * FROM dashboard_sessions WHERE token_hash = ?1";
    const DELETE: &'static str = "DELETE FROM dashboard_sessions WHERE token_hash = ?1";
    const DELETE_EXPIRED: &'static str = "DELETE FROM dashboard_sessions WHERE expires_at <= ?1";
}
