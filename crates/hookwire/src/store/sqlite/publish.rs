//! Publishing (SQLite): one publish, or a batch of them in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};

use super::events::{delivery_from_row, event_from_row};
use super::rows::{generation_is, insert_deliveries, insert_events};
use super::webhooks::webhook_from_row;
use super::writer::Direct;
use super::{to_json, Result, SqliteStore};
use crate::model::Event;
use crate::store::fan_out::{plan_batch, PublishTx};
use crate::store::webhook_cache::Matched;
use crate::store::{DirectClaim, FanOut, PublishRequest, Published};

impl SqliteStore {
    /// One publish inside the caller's transaction on the writer connection
    /// (its reads through sqlx, its rows through `direct`).
    pub(super) async fn publish_in(
        &self,
        tx: &mut SqliteConnection,
        direct: &mut Direct,
        event: &Event,
        patterns: &[String],
        dedupe_since: DateTime<Utc>,
        claim: Option<&dyn DirectClaim>,
    ) -> Result<Published> {
        // The single writer connection serialises publishes, so check-then-insert
        // of the idempotency key cannot race.
        if let Some(key) = &event.idempotency_key {
            let earlier =
                sqlx::query("SELECT * FROM events WHERE tenant_id = ?1 AND idempotency_key = ?2")
                    .bind(&event.tenant_id)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(row) = earlier {
                let earlier = event_from_row(&row)?;
                if earlier.created_at > dedupe_since {
                    let deliveries =
                        sqlx::query("SELECT * FROM deliveries WHERE event_id = ?1 ORDER BY id")
                            .bind(&earlier.id)
                            .fetch_all(&mut *tx)
                            .await?
                            .iter()
                            .map(delivery_from_row)
                            .collect::<Result<_>>()?;
                    return Ok(Published {
                        event: earlier,
                        deliveries,
                        duplicate: true,
                        direct: Vec::new(),
                    });
                }
                sqlx::query("UPDATE events SET idempotency_key = NULL WHERE id = ?1")
                    .bind(&earlier.id)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let webhooks = self.matching_webhooks(tx, event, patterns).await?.webhooks;
        let fan_out = FanOut::new(event, webhooks, claim);
        let owner = claim.map(|c| c.owner());
        let rows = fan_out.deliveries.iter().zip(&fan_out.leased);
        let locked = tx.lock_handle().await?;
        direct.run(locked, |conn| {
            insert_events(conn, [event])?;
            insert_deliveries(conn, rows.map(|(d, leased)| (d, owner.filter(|_| *leased))))
        })?;
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
    async fn matching_webhooks(
        &self,
        tx: &mut SqliteConnection,
        event: &Event,
        patterns: &[String],
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
        .bind(&event.tenant_id)
        .bind(to_json(&patterns)?)
        .bind(&event.channel)
        .fetch_all(&mut *tx)
        .await?;
        Matched::from_rows(&rows, |row| {
            let webhook = match row.try_get::<Option<String>, _>("id")? {
                Some(_) => Some(webhook_from_row(row, &self.sealer)?),
                None => None,
            };
            Ok((row.try_get("webhook_generation")?, webhook))
        })
    }

    /// Every publish of `batch` inside the caller's transaction (see
    /// `plan_batch`), then `then` in the same transaction: the rows go in
    /// through `direct` in one borrow of the handle, if the webhook generation
    /// is still the plan's; else the plan is made again from fresh lookups.
    pub(super) async fn publish_all<R>(
        &self,
        tx: &mut SqliteConnection,
        direct: &mut Direct,
        batch: &[PublishRequest<'_>],
        mut then: impl FnMut(&rusqlite::Connection) -> Result<R>,
    ) -> Result<(Vec<Published>, R)> {
        let mut plan = plan_batch(&mut self.tx(tx, direct), batch, &self.webhooks).await?;
        loop {
            if let Ok(generation) = plan.guard() {
                let locked = tx.lock_handle().await?;
                let done = direct.run(locked, |conn| {
                    if !generation_is(conn, generation)? {
                        return Ok(None);
                    }
                    insert_events(conn, plan.events())?;
                    insert_deliveries(conn, plan.deliveries())?;
                    then(conn).map(Some)
                })?;
                if let Some(out) = done {
                    return Ok((plan.finish(), out));
                }
            }
            plan.refresh(&mut self.tx(tx, direct), batch, &self.webhooks)
                .await?;
        }
    }

    fn tx<'s, 'c>(&'s self, conn: &'c mut SqliteConnection, direct: &'c mut Direct) -> Tx<'s, 'c> {
        Tx {
            store: self,
            conn,
            direct,
        }
    }
}

/// This backend's [`PublishTx`]: the store and its open transaction.
struct Tx<'s, 'c> {
    store: &'s SqliteStore,
    conn: &'c mut SqliteConnection,
    direct: &'c mut Direct,
}

#[async_trait]
impl PublishTx for Tx<'_, '_> {
    async fn publish_one(&mut self, r: &PublishRequest<'_>) -> Result<Published> {
        self.store
            .publish_in(
                self.conn,
                self.direct,
                r.event,
                r.patterns,
                r.dedupe_since,
                r.direct,
            )
            .await
    }

    async fn matching_webhooks(&mut self, event: &Event, patterns: &[String]) -> Result<Matched> {
        self.store
            .matching_webhooks(self.conn, event, patterns)
            .await
    }
}
