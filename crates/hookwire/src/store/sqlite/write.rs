//! The write of the publish→deliver path (SQLite): a batch of publishes and
//! attempt results in one transaction on the writer's
//! [`Inline`](super::writer::Inline) connection, one durable commit (one
//! fsync) for all of them; and the webhook lookup publishes fan out from.
//!
//! It never calls back into the pipeline: it takes rows with their owner and
//! due time and returns what it stored.

use rusqlite::{params, Connection, OptionalExtension};

use super::events::{delivery_from_row, event_from_row};
use super::rows::{generation_is, insert_deliveries, insert_events};
use super::webhooks::webhook_from_row;
use super::{to_json, Result, SqliteStore};
use crate::model::Webhook;
use crate::store::{Matched, PublishRows, Stored, WriteBatch, Written};

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

    /// The webhook lookup of a publish (see
    /// [`WebhookStore::matching_webhooks`](crate::store::WebhookStore::matching_webhooks)):
    /// one statement, the generation row left-joined to the matches, so it
    /// comes back when nothing matches.
    pub(super) async fn matching(
        &self,
        tenant_id: &str,
        patterns: &[String],
        channel: Option<&str>,
    ) -> Result<Matched> {
        let rows = sqlx::query(
            "SELECT g.generation AS webhook_generation, webhooks.* FROM webhook_generation g \
             LEFT JOIN webhooks ON (webhooks.tenant_id = ?1 OR webhooks.tenant_id IS NULL) \
               AND webhooks.is_active = 1 \
               AND EXISTS (SELECT 1 FROM json_each(webhooks.events) e \
                           WHERE e.value IN (SELECT value FROM json_each(?2))) \
               AND (webhooks.channels = '[]' OR (?3 IS NOT NULL AND EXISTS \
                    (SELECT 1 FROM json_each(webhooks.channels) c WHERE c.value = ?3))) \
             ORDER BY webhooks.id",
        )
        .bind(tenant_id)
        .bind(to_json(&patterns)?)
        .bind(channel)
        .fetch_all(&self.reader)
        .await?;
        Matched::from_rows(rows.iter().map(|row| {
            let webhook: Option<Webhook> = match sqlx::Row::try_get::<Option<String>, _>(row, "id")?
            {
                Some(_) => Some(webhook_from_row(row, &self.sealer)?),
                None => None,
            };
            Ok((sqlx::Row::try_get(row, "webhook_generation")?, webhook))
        }))
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
            .prepare_cached("SELECT * FROM deliveries WHERE event_id = ?1 ORDER BY id")?
            .query_map([&earlier.id], |row| Ok(delivery_from_row(row)))?
            .map(|row| row?)
            .collect::<Result<_>>()?;
        return Ok(Some(Stored::Duplicate(Box::new(earlier), deliveries)));
    }
    conn.prepare_cached("UPDATE events SET idempotency_key = NULL WHERE id = ?1")?
        .execute([&earlier.id])?;
    Ok(None)
}
