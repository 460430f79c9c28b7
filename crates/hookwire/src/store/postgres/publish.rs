//! Publishing (PostgreSQL): one publish, or a batch of them in one transaction.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::events::{delivery_from_row, event_from_row, EVENT_COLUMNS};
use super::webhooks::webhook_from_row;
use super::{PgStore, Result, WAKEUP_CHANNEL};
use crate::model::{Delivery, Event};
use crate::store::fan_out::{plan_batch, PublishTx};
use crate::store::webhook_cache::Matched;
use crate::store::{DirectClaim, FanOut, PublishRequest, Published};

pub(super) async fn insert_event(conn: &mut PgConnection, e: &Event) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO events (id, tenant_id, event_type, channel, data, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5::json, $6, $7) \
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
    )
    .bind(&e.id)
    .bind(&e.tenant_id)
    .bind(&e.event_type)
    .bind(&e.channel)
    .bind(&e.data)
    .bind(&e.idempotency_key)
    .bind(e.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The statement of [`insert_rows`]. On the write connections its generic
/// plan inserts from the arrays and reads nothing but the one-row webhook
/// generation (see "Plans on growing tables" in `postgres.rs`).
pub(super) const INSERT_ROWS: &str = "WITH current AS ( \
       SELECT $18::bigint IS NULL OR generation = $18 AS ok FROM webhook_generation), \
     new_events AS ( \
       INSERT INTO events (id, tenant_id, event_type, channel, data, created_at) \
       SELECT e.id, e.tenant_id, e.event_type, e.channel, e.data::json, e.created_at \
       FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                   $6::timestamptz[]) AS e(id, tenant_id, event_type, channel, data, created_at) \
       WHERE (SELECT ok FROM current)), \
     new_deliveries AS ( \
       INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, \
         next_attempt_at, lease_owner, lease_expires_at, created_at, event_type) \
       SELECT d.id, d.tenant_id, d.event_id, d.webhook_id, d.status, 0, d.due, d.owner, \
              CASE WHEN d.owner IS NULL THEN NULL ELSE d.due END, d.created_at, d.event_type \
       FROM UNNEST($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                   $12::timestamptz[], $13::text[], $14::timestamptz[], $15::text[]) \
            AS d(id, tenant_id, event_id, webhook_id, status, due, owner, created_at, event_type) \
       WHERE (SELECT ok FROM current)), \
     wake AS (SELECT pg_notify($16, '') FROM current WHERE ok AND $17) \
     SELECT ok FROM current, (SELECT count(*) FROM wake) AS woken";

/// Events (without idempotency keys) and deliveries, each with the owner of
/// its lease if leased, in one statement — one round trip — plus the wake-up
/// for the other nodes' workers when some deliveries went to the queue
/// (`pg_notify` is delivered at commit). The deliveries' foreign keys are
/// checked at the end of the statement, when their events exist.
///
/// With `generation`, nothing is inserted unless the webhook generation still
/// reads that in the statement's snapshot; returns whether the rows are in.
pub(super) async fn insert_rows(
    conn: &mut PgConnection,
    events: &[&Event],
    deliveries: &[(&Delivery, Option<&str>)],
    wake_others: bool,
    generation: Option<i64>,
) -> Result<bool> {
    if events.is_empty() && deliveries.is_empty() && !wake_others {
        return Ok(true);
    }
    let ev = |f: fn(&Event) -> &str| -> Vec<&str> { events.iter().map(|e| f(e)).collect() };
    let dl =
        |f: fn(&Delivery) -> &str| -> Vec<&str> { deliveries.iter().map(|(d, _)| f(d)).collect() };
    sqlx::query_scalar(INSERT_ROWS)
        .bind(ev(|e| &e.id))
        .bind(ev(|e| &e.tenant_id))
        .bind(ev(|e| &e.event_type))
        .bind(
            events
                .iter()
                .map(|e| e.channel.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(ev(|e| &e.data))
        .bind(events.iter().map(|e| e.created_at).collect::<Vec<_>>())
        .bind(dl(|d| &d.id))
        .bind(dl(|d| &d.tenant_id))
        .bind(dl(|d| &d.event_id))
        .bind(dl(|d| &d.webhook_id))
        .bind(dl(|d| d.status.as_str()))
        .bind(
            deliveries
                .iter()
                .map(|(d, _)| d.next_attempt_at)
                .collect::<Vec<_>>(),
        )
        .bind(deliveries.iter().map(|(_, o)| *o).collect::<Vec<_>>())
        .bind(
            deliveries
                .iter()
                .map(|(d, _)| d.created_at)
                .collect::<Vec<_>>(),
        )
        .bind(dl(|d| &d.event_type))
        .bind(WAKEUP_CHANNEL)
        .bind(wake_others)
        .bind(generation)
        .fetch_one(conn)
        .await
        .map_err(Into::into)
}

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

impl PgStore {
    /// One publish inside the caller's transaction.
    pub(super) async fn publish_in(
        &self,
        tx: &mut PgConnection,
        event: &Event,
        patterns: &[String],
        dedupe_since: DateTime<Utc>,
        direct: Option<&dyn DirectClaim>,
    ) -> Result<Published> {
        if insert_event(tx, event).await? == 0 {
            // The idempotency key is taken (a concurrent publish with the same key
            // waited for ours to commit on the unique index, or it is old).
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events \
                 WHERE tenant_id = $1 AND idempotency_key = $2 FOR UPDATE"
            );
            let earlier = sqlx::query(&sql)
                .bind(&event.tenant_id)
                .bind(&event.idempotency_key)
                .fetch_one(&mut *tx)
                .await?;
            let earlier = event_from_row(&earlier)?;
            if earlier.created_at > dedupe_since {
                let deliveries = deliveries_of(tx, &earlier.id).await?;
                return Ok(Published {
                    event: earlier,
                    deliveries,
                    duplicate: true,
                    direct: Vec::new(),
                });
            }
            sqlx::query("UPDATE events SET idempotency_key = NULL WHERE id = $1")
                .bind(&earlier.id)
                .execute(&mut *tx)
                .await?;
            insert_event(tx, event).await?;
        }
        let webhooks = self.matching_webhooks(tx, event, patterns).await?.webhooks;
        let fan_out = FanOut::new(event, webhooks, direct);
        let owner = direct.map(|c| c.owner());
        let rows: Vec<(&Delivery, Option<&str>)> = fan_out
            .deliveries
            .iter()
            .zip(&fan_out.leased)
            .map(|(d, leased)| (d, owner.filter(|_| *leased)))
            .collect();
        let queued = fan_out.leased.iter().any(|leased| !leased);
        insert_rows(tx, &[], &rows, queued, None).await?;
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
        tx: &mut PgConnection,
        event: &Event,
        patterns: &[String],
    ) -> Result<Matched> {
        let rows = sqlx::query(
            "SELECT g.generation AS webhook_generation, w.* FROM webhook_generation g \
             LEFT JOIN webhooks w ON (w.tenant_id = $1 OR w.tenant_id IS NULL) AND w.is_active \
               AND w.events && $2 \
               AND (cardinality(w.channels) = 0 OR ($3::text IS NOT NULL AND $3 = ANY(w.channels))) \
             ORDER BY w.id",
        )
        .bind(&event.tenant_id)
        .bind(patterns)
        .bind(&event.channel)
        .fetch_all(&mut *tx)
        .await?;
        Matched::from_rows(rows.iter().map(|row| {
            let webhook = match row.try_get::<Option<String>, _>("id")? {
                Some(_) => Some(webhook_from_row(row, &self.sealer)?),
                None => None,
            };
            Ok((row.try_get("webhook_generation")?, webhook))
        }))
    }

    /// Every publish of `batch` inside the caller's transaction (see
    /// `plan_batch`), all new rows in one statement — which is atomic on its
    /// own, so a batch without idempotency keys needs no transaction — and
    /// which checks the plan's webhook generation.
    pub(super) async fn publish_all(
        &self,
        tx: &mut PgConnection,
        batch: &[PublishRequest<'_>],
    ) -> Result<Vec<Published>> {
        let mut plan = plan_batch(&mut self.tx(tx), batch, &self.webhooks).await?;
        loop {
            if let Ok(generation) = plan.guard() {
                let (events, deliveries) = (plan.events(), plan.deliveries());
                if insert_rows(tx, &events, &deliveries, plan.queued(), generation).await? {
                    break;
                }
            }
            plan.refresh(&mut self.tx(tx), batch, &self.webhooks)
                .await?;
        }
        Ok(plan.finish())
    }

    fn tx<'s, 'c>(&'s self, conn: &'c mut PgConnection) -> Tx<'s, 'c> {
        Tx { store: self, conn }
    }
}

/// This backend's [`PublishTx`]: the store and its open transaction.
struct Tx<'s, 'c> {
    store: &'s PgStore,
    conn: &'c mut PgConnection,
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
