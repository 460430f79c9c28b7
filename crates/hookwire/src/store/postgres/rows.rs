//! Reading events and deliveries (PostgreSQL): the column list and row
//! mappings shared by history reads, claims and the write's duplicate check.
//!
//! Column lists and mappings only; no statement runs here.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::{Error, Result};
use crate::model::{Delivery, DeliveryStatus, Event};

/// `data` is `json` (kept byte-for-byte); read it back as text.
pub(super) const EVENT_COLUMNS: &str =
    "id, tenant_id, event_type, channel, data::text AS data, idempotency_key, created_at, traceparent, \
     ordering_key";

/// A stored event.
pub(super) fn event_from_row(row: &PgRow) -> Result<Event> {
    Ok(Event {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        event_type: row.try_get("event_type")?,
        channel: row.try_get("channel")?,
        data: row.try_get("data")?,
        idempotency_key: row.try_get("idempotency_key")?,
        created_at: row.try_get("created_at")?,
        traceparent: row.try_get("traceparent")?,
        ordering_key: row.try_get("ordering_key")?,
    })
}

/// A stored delivery.
pub(super) fn delivery_from_row(row: &PgRow) -> Result<Delivery> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        webhook_id: row.try_get("webhook_id")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("delivery status {status:?}")))?,
        attempt_count: row.try_get::<i32, _>("attempt_count")? as u32,
        next_attempt_at: row.try_get("next_attempt_at")?,
        leased: row.try_get::<Option<String>, _>("lease_owner")?.is_some(),
        last_http_status: row
            .try_get::<Option<i32>, _>("last_http_status")?
            .map(|s| s as u16),
        last_error: row.try_get("last_error")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        created_at: row.try_get("created_at")?,
        completed_at: row.try_get("completed_at")?,
        ordering_key: row.try_get("ordering_key")?,
    })
}

/// An event's deliveries, oldest first.
pub(super) async fn deliveries_of(
    conn: &mut PgConnection,
    event_id: &str,
) -> Result<Vec<Delivery>> {
    sqlx::query("SELECT * FROM deliveries WHERE event_id = $1 ORDER BY id")
        .bind(event_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
}
