//! Reading events and deliveries (PostgreSQL) where the hot path does it on
//! its own connection: the event column list (claims, the write's duplicate
//! check, the history) and an event's deliveries inside a transaction. The
//! row mappings are shared (`store/sql/rows.rs`).
//!
//! No writes here.

use sqlx::PgConnection;

use super::{PgStore, Result};
use crate::model::Delivery;
use crate::store::sql::history::HistorySql;
pub(super) use crate::store::sql::rows::{delivery_from_row, event_from_row};

/// The columns an event is read from; `data` is `json` (kept byte for
/// byte), read back as text. A macro, so statements can `concat!` it.
macro_rules! event_columns {
    () => {
        "id, tenant_id, event_type, channel, data::text AS data, idempotency_key, created_at, \
         traceparent, ordering_key"
    };
}
pub(super) use event_columns;

/// [`event_columns`] as a value, for statements built at run time.
pub(super) const EVENT_COLUMNS: &str = event_columns!();

/// An event's deliveries, oldest first, on the caller's connection (the
/// history's statement, inside the write's transaction).
pub(super) async fn deliveries_of(
    conn: &mut PgConnection,
    event_id: &str,
) -> Result<Vec<Delivery>> {
    sqlx::query(<PgStore as HistorySql>::DELIVERIES_OF_EVENT)
        .bind(event_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
}
