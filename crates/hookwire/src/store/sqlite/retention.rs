//! Bounded history clean-up's SQL (SQLite); the operations are shared
//! ([`crate::store::sql::retention`]). Each batch is one short turn of the
//! one writer, so publishes keep flowing between batches.
//!
//! SQL text only: the control flow is shared.

use super::SqliteStore;
use crate::store::sql::retention::RetentionSql;

impl RetentionSql for SqliteStore {
    const PURGE_EVENTS: &'static str = "DELETE FROM events WHERE id IN \
           (SELECT id FROM events WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)";
    const EXPIRE_KEYS: &'static str = "UPDATE events SET idempotency_key = NULL WHERE id IN \
           (SELECT id FROM events WHERE idempotency_key IS NOT NULL AND created_at < ?1 LIMIT ?2)";
    const TRIM_DELIVERIES: &'static str = "DELETE FROM deliveries WHERE id IN ( \
           SELECT id FROM ( \
             SELECT id, status, \
               ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS n \
             FROM deliveries) \
           WHERE n > ?1 AND status IN ('delivered', 'failed') LIMIT ?2)";
}
