//! Publishing (SQLite): one publish, or a batch of them in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};

use super::events::{delivery_from_row, event_from_row};
use super::webhooks::webhook_from_row;
use super::{ms, to_json, Result, SqliteStore};
use crate::model::{Delivery, Event};
use crate::store::fan_out::{plan_batch, PublishTx};
use crate::store::webhook_cache::Matched;
use crate::store::{DirectClaim, FanOut, PublishRequest, Published};

/// Rows per multi-row INSERT, well under SQLite's 32,766 bound parameters.
const ROWS_PER_INSERT: usize = 500;

pub(super) async fn insert_event(conn: &mut SqliteConnection, e: &Event) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (id, tenant_id, event_type, channel, data, idempotency_key, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&e.id)
    .bind(&e.tenant_id)
    .bind(&e.event_type)
    .bind(&e.channel)
    .bind(&e.data)
    .bind(&e.idempotency_key)
    .bind(ms(e.created_at))
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) async fn insert_delivery(
    conn: &mut SqliteConnection,
    d: &Delivery,
    lease_owner: Option<&str>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, \
         next_attempt_at, lease_owner, lease_expires_at, created_at, event_type) \
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7, CASE WHEN ?7 IS NULL THEN NULL ELSE ?6 END, ?8, ?9)",
    )
    .bind(&d.id)
    .bind(&d.tenant_id)
    .bind(&d.event_id)
    .bind(&d.webhook_id)
    .bind(d.status.as_str())
    .bind(d.next_attempt_at.map(ms))
    .bind(lease_owner)
    .bind(ms(d.created_at))
    .bind(&d.event_type)
    .execute(conn)
    .await?;
    Ok(())
}

impl SqliteStore {
    /// One publish inside the caller's transaction on the writer connection.
    pub(super) async fn publish_in(
        &self,
        tx: &mut SqliteConnection,
        event: &Event,
        patterns: &[String],
        dedupe_since: DateTime<Utc>,
        direct: Option<&dyn DirectClaim>,
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
        insert_event(tx, event).await?;
        let webhooks = self.matching_webhooks(tx, event, patterns).await?.webhooks;
        let fan_out = FanOut::new(event, webhooks, direct);
        let owner = direct.map(|c| c.owner());
        for (d, leased) in fan_out.deliveries.iter().zip(&fan_out.leased) {
            insert_delivery(tx, d, owner.filter(|_| *leased)).await?;
        }
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
    /// `plan_batch`), each table's new rows in one statement. The first insert
    /// checks the plan's webhook generation; once it has written, this
    /// transaction holds the write lock and no webhook can change before it
    /// commits.
    pub(super) async fn publish_all(
        &self,
        tx: &mut SqliteConnection,
        batch: &[PublishRequest<'_>],
    ) -> Result<Vec<Published>> {
        let mut plan = plan_batch(&mut self.tx(tx), batch, &self.webhooks).await?;
        loop {
            if let Ok(generation) = plan.guard() {
                if insert_events(tx, &plan.events(), generation).await? {
                    break;
                }
            }
            plan.refresh(&mut self.tx(tx), batch, &self.webhooks)
                .await?;
        }
        for chunk in plan.deliveries().chunks(ROWS_PER_INSERT) {
            insert_deliveries(tx, chunk).await?;
        }
        Ok(plan.finish())
    }

    fn tx<'s, 'c>(&'s self, conn: &'c mut SqliteConnection) -> Tx<'s, 'c> {
        Tx { store: self, conn }
    }
}

/// This backend's [`PublishTx`]: the store and its open transaction.
struct Tx<'s, 'c> {
    store: &'s SqliteStore,
    conn: &'c mut SqliteConnection,
}

#[async_trait]
impl PublishTx for Tx<'_, '_> {
    async fn publish_one(&mut self, r: &PublishRequest<'_>) -> Result<Published> {
        self.store
            .publish_in(self.conn, r.event, r.patterns, r.dedupe_since, r.direct)
            .await
    }

    async fn matching_webhooks(&mut self, event: &Event, patterns: &[String]) -> Result<Matched> {
        self.store
            .matching_webhooks(self.conn, event, patterns)
            .await
    }
}

/// Events without idempotency keys, in as few statements as the bound
/// parameters allow. With `generation`, the first statement inserts only if the
/// webhook generation still reads that; returns whether the events are in.
async fn insert_events(
    conn: &mut SqliteConnection,
    events: &[&Event],
    generation: Option<i64>,
) -> Result<bool> {
    for (i, chunk) in events.chunks(ROWS_PER_INSERT).enumerate() {
        let mut q = QueryBuilder::<Sqlite>::new(
            "INSERT INTO events (id, tenant_id, event_type, channel, data, idempotency_key, created_at) \
             SELECT * FROM (",
        );
        q.push_values(chunk, |mut row, e| {
            row.push_bind(&e.id)
                .push_bind(&e.tenant_id)
                .push_bind(&e.event_type)
                .push_bind(&e.channel)
                .push_bind(&e.data)
                .push_bind(&e.idempotency_key)
                .push_bind(ms(e.created_at));
        });
        q.push(")");
        if let (0, Some(g)) = (i, generation) {
            q.push(" WHERE (SELECT generation FROM webhook_generation) = ")
                .push_bind(g);
        }
        let done = q.build().execute(&mut *conn).await?;
        if done.rows_affected() == 0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Deliveries with the owner of their lease (if leased), in one statement.
async fn insert_deliveries(
    conn: &mut SqliteConnection,
    deliveries: &[(&Delivery, Option<&str>)],
) -> Result<()> {
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, \
         next_attempt_at, lease_owner, lease_expires_at, created_at, event_type) ",
    );
    q.push_values(deliveries, |mut row, &(d, owner)| {
        let due = d.next_attempt_at.map(ms);
        row.push_bind(&d.id)
            .push_bind(&d.tenant_id)
            .push_bind(&d.event_id)
            .push_bind(&d.webhook_id)
            .push_bind(d.status.as_str())
            .push_bind(0_i64)
            .push_bind(due)
            .push_bind(owner)
            .push_bind(owner.and(due))
            .push_bind(ms(d.created_at))
            .push_bind(&d.event_type);
    });
    q.build().execute(conn).await?;
    Ok(())
}
