//! Publishing (SQLite): one publish, or a batch of them in one transaction,
//! on the writer's [`Direct`](super::writer::Direct) connection.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::events::{delivery_from_row, event_from_row};
use super::rows::{generation_is, insert_deliveries, insert_events};
use super::webhooks::webhook_from_row;
use super::writer::DirectTx;
use super::{to_json, Result, SqliteStore};
use crate::model::{Event, Webhook};
use crate::store::fan_out::{plan_batch, PublishTx};
use crate::store::webhook_cache::Matched;
use crate::store::{DirectClaim, FanOut, PublishRequest, Published};

impl SqliteStore {
    /// One publish inside the caller's transaction on the writer.
    pub(super) fn publish_in(
        &self,
        conn: &Connection,
        event: &Event,
        patterns: &[String],
        dedupe_since: DateTime<Utc>,
        claim: Option<&dyn DirectClaim>,
    ) -> Result<Published> {
        // The single writer serialises publishes, so check-then-insert of the
        // idempotency key cannot race.
        if let Some(key) = &event.idempotency_key {
            let earlier = conn
                .prepare_cached(
                    "SELECT * FROM events WHERE tenant_id = ?1 AND idempotency_key = ?2",
                )?
                .query_row(params![event.tenant_id, key], |row| Ok(event_from_row(row)))
                .optional()?
                .transpose()?;
            if let Some(earlier) = earlier {
                if earlier.created_at > dedupe_since {
                    let deliveries = conn
                        .prepare_cached("SELECT * FROM deliveries WHERE event_id = ?1 ORDER BY id")?
                        .query_map([&earlier.id], |row| Ok(delivery_from_row(row)))?
                        .map(|row| row?)
                        .collect::<Result<_>>()?;
                    return Ok(Published {
                        event: earlier,
                        deliveries,
                        duplicate: true,
                        direct: Vec::new(),
                    });
                }
                conn.prepare_cached("UPDATE events SET idempotency_key = NULL WHERE id = ?1")?
                    .execute([&earlier.id])?;
            }
        }
        let webhooks = self.matching_webhooks(conn, event, patterns)?.webhooks;
        let fan_out = FanOut::new(event, webhooks, claim);
        let owner = claim.map(|c| c.owner());
        insert_events(conn, [event])?;
        let rows = fan_out.deliveries.iter().zip(&fan_out.leased);
        insert_deliveries(conn, rows.map(|(d, leased)| (d, owner.filter(|_| *leased))))?;
        Ok(Published {
            event: event.clone(),
            deliveries: fan_out.deliveries,
            duplicate: false,
            direct: fan_out.jobs,
        })
    }

    /// The active webhooks (the tenant's and global ones) whose filters include
    /// one of `patterns` and whose channels admit the event's channel, with the
    /// webhook generation they were read at (one statement: the generation row
    /// left-joined to the matches, so it comes back when nothing matches).
    fn matching_webhooks(
        &self,
        conn: &Connection,
        event: &Event,
        patterns: &[String],
    ) -> Result<Matched> {
        let mut lookup = conn.prepare_cached(
            "SELECT g.generation AS webhook_generation, webhooks.* FROM webhook_generation g \
             LEFT JOIN webhooks ON (webhooks.tenant_id = ?1 OR webhooks.tenant_id IS NULL) \
               AND webhooks.is_active = 1 \
               AND EXISTS (SELECT 1 FROM json_each(webhooks.events) e \
                           WHERE e.value IN (SELECT value FROM json_each(?2))) \
               AND (webhooks.channels = '[]' OR (?3 IS NOT NULL AND EXISTS \
                    (SELECT 1 FROM json_each(webhooks.channels) c WHERE c.value = ?3))) \
             ORDER BY webhooks.id",
        )?;
        let rows = lookup.query_map(
            params![event.tenant_id, to_json(&patterns)?, event.channel],
            |row| Ok(self.match_from_row(row)),
        )?;
        Matched::from_rows(rows.map(|row| row?))
    }

    /// A row of [`matching_webhooks`](Self::matching_webhooks): the generation
    /// and the webhook, if the row has one.
    fn match_from_row(&self, row: &rusqlite::Row<'_>) -> Result<(i64, Option<Webhook>)> {
        let webhook = match row.get::<_, Option<String>>("id")? {
            Some(_) => Some(webhook_from_row(row, &self.sealer)?),
            None => None,
        };
        Ok((row.get("webhook_generation")?, webhook))
    }

    /// Every publish of `batch` (see `plan_batch`) inside the caller's
    /// transaction. The webhook generation is read before the rows go
    /// in: the transaction holds the write lock, so no webhook changes before
    /// it commits. If the generation moved on since the cache's answers, the
    /// batch is planned again from fresh lookups.
    pub(super) async fn publish_all(
        &self,
        tx: &mut DirectTx<'_>,
        batch: &[PublishRequest<'_>],
    ) -> Result<Vec<Published>> {
        let mut plan = plan_batch(&mut self.tx(tx), batch, &self.webhooks).await?;
        loop {
            if let Ok(generation) = plan.guard() {
                if generation_is(tx.conn(), generation)? {
                    break;
                }
            }
            plan.refresh(&mut self.tx(tx), batch, &self.webhooks)
                .await?;
        }
        insert_events(tx.conn(), plan.events())?;
        insert_deliveries(tx.conn(), plan.deliveries())?;
        Ok(plan.finish())
    }

    fn tx<'s, 't, 'c>(&'s self, tx: &'t mut DirectTx<'c>) -> Tx<'s, 't, 'c> {
        Tx { store: self, tx }
    }
}

/// This backend's [`PublishTx`]: the store and its open transaction.
struct Tx<'s, 't, 'c> {
    store: &'s SqliteStore,
    tx: &'t mut DirectTx<'c>,
}

#[async_trait]
impl PublishTx for Tx<'_, '_, '_> {
    async fn publish_one(&mut self, r: &PublishRequest<'_>) -> Result<Published> {
        self.store.publish_in(
            self.tx.conn(),
            r.event,
            r.patterns,
            r.dedupe_since,
            r.direct,
        )
    }

    async fn matching_webhooks(&mut self, event: &Event, patterns: &[String]) -> Result<Matched> {
        self.store
            .matching_webhooks(self.tx.conn(), event, patterns)
    }
}
