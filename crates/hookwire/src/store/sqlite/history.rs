//! The history reads' SQL (SQLite); the operations are shared
//! ([`crate::store::sql::history`]).
//!
//! SQL text only: the control flow is shared.

use super::SqliteStore;
use crate::store::sql::history::HistorySql;

/// A webhook's deliveries, read through `$index` with `$status`.
macro_rules! deliveries {
    ($index:literal, $status:literal) => {
        concat!(
            "SELECT * FROM deliveries ",
            $index,
            " WHERE webhook_id = ?1 AND tenant_id = ?2 AND ",
            $status,
            " AND (?4 IS NULL OR id < ?4) AND (?5 IS NULL OR event_type = ?5) \
             AND (?6 IS NULL OR created_at >= ?6) AND (?7 IS NULL OR created_at < ?7) \
             ORDER BY id DESC LIMIT ?8"
        )
    };
}

impl HistorySql for SqliteStore {
    const EVENT: &'static str = "SELECT * FROM events WHERE id = ?1 AND tenant_id = ?2";
    const EVENTS: &'static str =
        "SELECT * FROM events WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) \
           AND (?3 IS NULL OR event_type = ?3) AND (?4 IS NULL OR channel = ?4) \
           AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6) \
         ORDER BY id DESC LIMIT ?7";
    const DELIVERIES_OF_EVENT: &'static str =
        "SELECT * FROM deliveries WHERE event_id = ?1 ORDER BY id";
    const DELIVERY: &'static str = "SELECT * FROM deliveries WHERE id = ?1 AND tenant_id = ?2";
    const DELIVERIES: &'static str = deliveries!("", "(?3 IS NULL OR status = ?3)");
    /// Through the failed deliveries' index (migration 0005) rather than a
    /// walk through the webhook's history.
    const FAILED_DELIVERIES: &'static str =
        deliveries!("INDEXED BY deliveries_webhook_failed", "status = 'failed'");
    const ATTEMPTS: &'static str =
        "SELECT * FROM attempts WHERE delivery_id = ?1 ORDER BY attempt_number";
}
