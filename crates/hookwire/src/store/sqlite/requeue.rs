//! The requeues' SQL (SQLite); the operations are shared
//! ([`crate::store::sql::requeue`]). Times are milliseconds, so a chunk's due
//! times are integer steps.
//!
//! SQL text only: the control flow is shared.

use super::SqliteStore;
use crate::store::sql::requeue::RequeueSql;

impl RequeueSql for SqliteStore {
    const REQUEUE_ONE: &'static str = "UPDATE deliveries SET \
           status = CASE WHEN attempt_count = 0 THEN 'pending' ELSE 'retrying' END, \
           next_attempt_at = CASE WHEN ordering_key IS NULL THEN ?3 END, completed_at = NULL, \
           lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = ?1 AND tenant_id = ?2 AND (lease_owner IS NULL OR lease_expires_at < ?3)";
    const REQUEUE_FAILED: &'static str = "UPDATE deliveries SET status = 'retrying', \
           next_attempt_at = CASE WHEN ordering_key IS NULL THEN ?4 END, completed_at = NULL \
         WHERE webhook_id = ?1 AND tenant_id = ?2 AND status = 'failed' AND created_at >= ?3";
    const INSERT_BULK: &'static str =
        "INSERT INTO bulk_retries (tenant_id, status, webhook_id, event_type, until_at, \
           per_second, after_created_at, after_id, next_due_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', ?8)";
    /// On the writer, inside the transaction: the one writer serialises looks.
    const NEXT_BULK: &'static str =
        "SELECT id, tenant_id, status, webhook_id, event_type, until_at, per_second, \
           after_created_at, after_id, next_due_at FROM bulk_retries \
         WHERE next_due_at < ?1 ORDER BY next_due_at LIMIT 1";
    /// `created_at >= ?7` lets the tenant's window index start at the last
    /// delivery taken; the row comparison passes the ones already taken in
    /// that same millisecond.
    const TAKE_CHUNK: &'static str = "WITH picked AS ( \
           SELECT id, row_number() OVER (ORDER BY created_at, id) - 1 AS n FROM ( \
             SELECT id, created_at FROM deliveries \
             WHERE tenant_id = ?1 AND status = ?2 AND created_at >= ?7 AND created_at < ?3 \
               AND (?4 IS NULL OR webhook_id = ?4) AND (?5 IS NULL OR event_type = ?5) \
               AND (created_at, id) > (?7, ?8) \
               AND (lease_owner IS NULL OR lease_expires_at < ?6) \
             ORDER BY created_at, id LIMIT ?9)) \
         UPDATE deliveries SET status = 'retrying', \
           next_attempt_at = CASE WHEN ordering_key IS NULL \
             THEN ?10 + picked.n * 1000 / ?11 / 100 * 100 END, \
           completed_at = NULL, lease_owner = NULL, lease_expires_at = NULL \
         FROM picked WHERE deliveries.id = picked.id \
         RETURNING deliveries.created_at, deliveries.id";
    const DELETE_BULK: &'static str = "DELETE FROM bulk_retries WHERE id = ?1";
    const MOVE_BULK: &'static str =
        "UPDATE bulk_retries SET after_created_at = ?2, after_id = ?3, next_due_at = ?4 \
         WHERE id = ?1";
    const COUNT_MATCHING: &'static str = "SELECT count(*) AS n FROM deliveries \
         WHERE tenant_id = ?1 AND status = ?2 AND created_at >= ?3 \
           AND (?4 IS NULL OR created_at < ?4) AND (?5 IS NULL OR webhook_id = ?5) \
           AND (?6 IS NULL OR event_type = ?6) \
           AND (lease_owner IS NULL OR lease_expires_at < ?7)";
}
