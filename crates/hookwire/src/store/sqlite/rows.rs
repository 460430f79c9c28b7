//! New events and deliveries (SQLite), written on the writer's [`Inline`]
//! connection: one prepared statement per table, run once per row on the
//! calling thread — SQLite's fastest way to insert many rows, as a statement
//! costs no round trip to another thread.
//!
//! [`Inline`]: super::writer::Inline

use rusqlite::{params, Connection};

use super::{ms, Result};
use crate::model::{Delivery, Event};

/// Whether the webhook generation still reads `expected` (see
/// `fan_out::PlannedBatch::guard`). Read inside the transaction that is about
/// to insert: the single writer connection holds SQLite's write lock from the
/// first insert to the commit, and no webhook changes on it meanwhile.
pub(super) fn generation_is(conn: &Connection, expected: Option<i64>) -> Result<bool> {
    let Some(expected) = expected else {
        return Ok(true);
    };
    let current: i64 = conn
        .prepare_cached("SELECT generation FROM webhook_generation")?
        .query_row([], |row| row.get(0))?;
    Ok(current == expected)
}

/// Insert `events`.
pub(super) fn insert_events<'e>(
    conn: &Connection,
    events: impl IntoIterator<Item = &'e Event>,
) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO events (id, tenant_id, event_type, channel, data, idempotency_key, created_at, \
           traceparent, ordering_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for e in events {
        insert.execute(params![
            e.id,
            e.tenant_id,
            e.event_type,
            e.channel,
            e.data,
            e.idempotency_key,
            ms(e.created_at),
            e.traceparent,
            e.ordering_key
        ])?;
    }
    Ok(())
}

/// Insert `deliveries`, each leased to the owner given with it (if any) until
/// it is due.
pub(super) fn insert_deliveries<'d>(
    conn: &Connection,
    deliveries: impl IntoIterator<Item = (&'d Delivery, Option<&'d str>)>,
) -> Result<()> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, \
         next_attempt_at, lease_owner, lease_expires_at, created_at, event_type, ordering_key) \
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, ?8, ?9, ?10, ?11)",
    )?;
    for (d, owner) in deliveries {
        let due = d.next_attempt_at.map(ms);
        insert.execute(params![
            d.id,
            d.tenant_id,
            d.event_id,
            d.webhook_id,
            d.status.as_str(),
            due,
            owner,
            owner.and(due),
            ms(d.created_at),
            d.event_type,
            d.ordering_key
        ])?;
    }
    Ok(())
}
