//! The write of the publish→deliver path (SQLite): a batch of publishes and
//! attempt results in one transaction on the writer's
//! [`Inline`](super::writer::Inline) connection, one durable commit (one
//! fsync) for all of them.
//!
//! It never calls back into the pipeline: it takes rows with their owner and
//! due time and returns what it stored.

use rusqlite::{params, Connection, OptionalExtension};

use super::rows::{generation_is, insert_deliveries, insert_events};
use super::{Result, SqliteStore};
use crate::store::sql::history::HistorySql;
use crate::store::sql::rows::{delivery_from_row, event_from_row};
use crate::store::{PublishRows, Stored, WriteBatch, Written};

impl SqliteStore {
    /// Write `batch` inside the caller's transaction on the writer. The
    /// webhook generation is read before any row goes in: the transaction
    /// holds the write lock, so no webhook changes before it commits.
    pub(super) fn write_in(&self, conn: &Connection, batch: &WriteBatch<'_>) -> Result<Written> {
        if !batch.publishes.is_empty() && !generation_is(conn, batch.generation)? {
            return Ok(Written::Stale);
        }
        let mut publishes = Vec::with_capacity(batch.publishes.len());
        for p in &batch.publishes {
            publishes.push(match earlier_use(conn, p)? {
                Some(duplicate) => duplicate,
                None => {
                    insert_events(conn, [&p.event])?;
                    let owner = p.lease_owner.as_deref();
                    insert_deliveries(
                        conn,
                        p.deliveries.iter().map(|d| (d, owner.filter(|_| d.leased))),
                    )?;
                    Stored::New
                }
            });
        }
        let results = super::record::record(conn, &batch.results)?;
        super::fifo::advance(conn, &batch.fifo_lines(), crate::clock::now())?;
        Ok(Written::Done { publishes, results })
    }
}

/// The duplicate `p` is, if its idempotency key was used since its
/// `dedupe_since`; an older use frees the key. The single writer serialises
/// publishes, so this check-then-insert cannot race.
fn earlier_use(conn: &Connection, p: &PublishRows) -> Result<Option<Stored>> {
    let Some(key) = &p.event.idempotency_key else {
        return Ok(None);
    };
    let earlier = conn
        .prepare_cached("SELECT * FROM events WHERE tenant_id = ?1 AND idempotency_key = ?2")?
        .query_row(params![p.event.tenant_id, key], |row| {
            Ok(event_from_row(row))
        })
        .optional()?
        .transpose()?;
    let Some(earlier) = earlier else {
        return Ok(None);
    };
    if earlier.created_at > p.dedupe_since {
        let deliveries = conn
            .prepare_cached(<SqliteStore as HistorySql>::DELIVERIES_OF_EVENT)?
            .query_map([&earlier.id], |row| Ok(delivery_from_row(row)))?
            .map(|row| row?)
            .collect::<Result<_>>()?;
        return Ok(Some(Stored::Duplicate(Box::new(earlier), deliveries)));
    }
    conn.prepare_cached("UPDATE events SET idempotency_key = NULL WHERE id = ?1")?
        .execute([&earlier.id])?;
    Ok(None)
}
