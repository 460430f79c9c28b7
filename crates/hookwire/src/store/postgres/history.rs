//! The history reads' SQL (PostgreSQL); the operations are shared
//! ([`crate::store::sql::history`]).
//!
//! SQL text only: the control flow is shared.

use super::rows::event_columns;
use super::PgStore;
use crate::store::sql::history::HistorySql;

/// A webhook's deliveries with `$status`.
macro_rules! deliveries {
    ($status:literal) => {
        concat!(
            "SELECT * FROM deliveries WHERE webhook_id = $1 AND tenant_id = $2 AND ",
            $status,
            " AND ($4::text IS NULL OR id < $4) AND ($5::text IS NULL OR event_type = $5) \
             AND ($6::timestamptz IS NULL OR created_at >= $6) \
             AND ($7::timestamptz IS NULL OR created_at < $7) \
             ORDER BY id DESC LIMIT $8"
        )
    };
}

/// Events, their columns as [`EVENT_COLUMNS`](super::rows::EVENT_COLUMNS).
macro_rules! events {
    ($where:literal) => {
        concat!("SELECT ", event_columns!(), " FROM events WHERE ", $where)
    };
}

impl HistorySql for PgStore {
    const EVENT: &'static str = events!("id = $1 AND tenant_id = $2");
    const EVENTS: &'static str = events!(
        "tenant_id = $1 \
           AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR event_type = $3) \
           AND ($4::text IS NULL OR channel = $4) \
           AND ($5::timestamptz IS NULL OR created_at >= $5) \
           AND ($6::timestamptz IS NULL OR created_at < $6) \
         ORDER BY id DESC LIMIT $7"
    );
    const DELIVERIES_OF_EVENT: &'static str =
        "SELECT * FROM deliveries WHERE event_id = $1 ORDER BY id";
    const DELIVERY: &'static str = "SELECT * FROM deliveries WHERE id = $1 AND tenant_id = $2";
    const DELIVERIES: &'static str = deliveries!("($3::text IS NULL OR status = $3)");
    /// Names the status, so the plan can use the failed deliveries' partial
    /// index (migration 0007).
    const FAILED_DELIVERIES: &'static str = deliveries!("status = 'failed'");
    const ATTEMPTS: &'static str =
        "SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt_number";
}
