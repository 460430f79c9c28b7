//! Bounded history clean-up's SQL (PostgreSQL); the operations are shared
//! ([`crate::store::sql::retention`]). Each batch is chosen by index and
//! locked with `SKIP LOCKED`, so several nodes may purge side by side while
//! others publish.
//!
//! SQL text only: the control flow is shared.

use super::PgStore;
use crate::store::sql::retention::RetentionSql;

impl RetentionSql for PgStore {
    const PURGE_EVENTS: &'static str = "DELETE FROM events WHERE id IN \
           (SELECT id FROM events WHERE created_at < $1 ORDER BY created_at LIMIT $2 \
            FOR UPDATE SKIP LOCKED)";
    const EXPIRE_KEYS: &'static str = "UPDATE events SET idempotency_key = NULL WHERE id IN \
           (SELECT id FROM events WHERE idempotency_key IS NOT NULL AND created_at < $1 \
            LIMIT $2 FOR UPDATE SKIP LOCKED)";
    const TRIM_DELIVERIES: &'static str = "DELETE FROM deliveries WHERE id IN ( \
           SELECT id FROM ( \
             SELECT id, status, \
               row_number() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS n \
             FROM deliveries) ranked \
           WHERE n > $1 AND status IN ('delivered', 'failed') LIMIT $2)";
}
