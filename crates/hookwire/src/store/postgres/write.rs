//! The write of the publish→deliver path (PostgreSQL): a batch of publishes
//! and attempt results, as few statements and round trips as it allows.
//!
//! It never calls back into the pipeline: it takes rows with their owner and
//! due time and returns what it stored.

use sqlx::PgConnection;

use super::rows::{deliveries_of, event_from_row, EVENT_COLUMNS};
use super::{PgStore, Result, WAKEUP_CHANNEL};
use crate::model::{Delivery, Event};
use crate::store::{PublishRows, Stored, WriteBatch, Written};

/// Insert one event; 0 when its idempotency key was taken already.
pub(super) async fn insert_event(conn: &mut PgConnection, e: &Event) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO events (id, tenant_id, event_type, channel, data, idempotency_key, created_at, \
           traceparent, ordering_key) \
         VALUES ($1, $2, $3, $4, $5::json, $6, $7, $8, $9) \
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
    )
    .bind(&e.id)
    .bind(&e.tenant_id)
    .bind(&e.event_type)
    .bind(&e.channel)
    .bind(&e.data)
    .bind(&e.idempotency_key)
    .bind(e.created_at)
    .bind(&e.traceparent)
    .bind(&e.ordering_key)
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
       INSERT INTO events (id, tenant_id, event_type, channel, data, created_at, traceparent, \
         ordering_key) \
       SELECT e.id, e.tenant_id, e.event_type, e.channel, e.data::json, e.created_at, \
              e.traceparent, e.ordering_key \
       FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], \
                   $6::timestamptz[], $19::text[], $20::text[]) \
            AS e(id, tenant_id, event_type, channel, data, created_at, traceparent, ordering_key) \
       WHERE (SELECT ok FROM current)), \
     new_deliveries AS ( \
       INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, \
         next_attempt_at, lease_owner, lease_expires_at, created_at, event_type, ordering_key, \
         ordering_seq) \
       SELECT d.id, d.tenant_id, d.event_id, d.webhook_id, d.status, 0, d.due, d.owner, \
              CASE WHEN d.owner IS NULL THEN NULL ELSE d.due END, d.created_at, d.event_type, \
              d.ordering_key, \
              CASE WHEN d.ordering_key IS NULL THEN NULL \
                   ELSE nextval('deliveries_ordering_seq') END \
       FROM UNNEST($7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                   $12::timestamptz[], $13::text[], $14::timestamptz[], $15::text[], $21::text[]) \
            AS d(id, tenant_id, event_id, webhook_id, status, due, owner, created_at, event_type, \
                 ordering_key) \
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
        .bind(
            events
                .iter()
                .map(|e| e.traceparent.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            events
                .iter()
                .map(|e| e.ordering_key.as_deref())
                .collect::<Vec<_>>(),
        )
        .bind(
            deliveries
                .iter()
                .map(|(d, _)| d.ordering_key.as_deref())
                .collect::<Vec<_>>(),
        )
        .fetch_one(conn)
        .await
        .map_err(Into::into)
}

impl PgStore {
    /// Write `batch` (see [`EventStore::write`](crate::store::EventStore::write)).
    /// Without idempotency keys and results, the new rows need no
    /// transaction: the one statement that stores them all is atomic on its
    /// own, and its webhook lookups were read committed, as they would be
    /// inside one (READ COMMITTED) — no BEGIN and COMMIT, two round trips
    /// fewer. Results alone are one statement too.
    pub(super) async fn write_batch(&self, batch: &WriteBatch<'_>) -> Result<Written> {
        let lines = batch.fifo_lines();
        if !lines.is_empty() {
            // Lines are locked first, before any row: see `fifo.rs`.
            let lines: Vec<_> = lines.iter().collect();
            let mut tx = self.writes.begin().await?;
            super::fifo::lock(&mut tx, &lines).await?;
            let written = write_in(&mut tx, batch).await?;
            if let Written::Done { .. } = written {
                super::fifo::advance(&mut tx, &lines, crate::clock::now()).await?;
                tx.commit().await?;
            }
            return Ok(written);
        }
        let keyed = batch
            .publishes
            .iter()
            .any(|p| p.event.idempotency_key.is_some());
        if !keyed && batch.results.is_empty() {
            let mut conn = self.writes.acquire().await?;
            return write_in(&mut conn, batch).await;
        }
        if batch.publishes.is_empty() {
            let mut conn = self.writes.acquire().await?;
            let results = super::record::record(&mut conn, &batch.results).await?;
            return Ok(Written::Done {
                publishes: Vec::new(),
                results,
            });
        }
        let mut tx = self.writes.begin().await?;
        let written = write_in(&mut tx, batch).await?;
        if let Written::Done { .. } = written {
            tx.commit().await?;
        }
        Ok(written)
    }
}

/// `batch` on `conn` (inside the caller's transaction when it has keyed
/// publishes or results): the keyed events first, one by one — each must see
/// the ones before it — then every other new row in one statement that checks
/// the webhook generation, then the results. [`Written::Stale`] leaves the
/// keyed events to the caller's rollback.
async fn write_in(conn: &mut PgConnection, batch: &WriteBatch<'_>) -> Result<Written> {
    let mut publishes = Vec::with_capacity(batch.publishes.len());
    for p in &batch.publishes {
        publishes.push(match &p.event.idempotency_key {
            Some(_) => insert_keyed(conn, p).await?,
            None => Stored::New,
        });
    }
    let new = || {
        batch
            .publishes
            .iter()
            .zip(&publishes)
            .filter(|(_, stored)| matches!(stored, Stored::New))
            .map(|(p, _)| *p)
    };
    let events: Vec<&Event> = new()
        .filter(|p| p.event.idempotency_key.is_none())
        .map(|p| &p.event)
        .collect();
    let deliveries: Vec<(&Delivery, Option<&str>)> = new()
        .flat_map(|p| {
            let owner = p.lease_owner.as_deref();
            p.deliveries
                .iter()
                .map(move |d| (d, owner.filter(|_| d.leased)))
        })
        .collect();
    let queued = new().any(|p| p.wake);
    if !insert_rows(conn, &events, &deliveries, queued, batch.generation).await? {
        return Ok(Written::Stale);
    }
    let results = if batch.results.is_empty() {
        Vec::new()
    } else {
        super::record::record(conn, &batch.results).await?
    };
    Ok(Written::Done { publishes, results })
}

/// Insert a keyed publish's event, unless its idempotency key was used since
/// its `dedupe_since` (then: the duplicate). A concurrent publish with the same
/// key waits for ours to commit on the unique index; an older use frees the
/// key.
async fn insert_keyed(conn: &mut PgConnection, p: &PublishRows) -> Result<Stored> {
    if insert_event(conn, &p.event).await? == 1 {
        return Ok(Stored::New);
    }
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM events \
         WHERE tenant_id = $1 AND idempotency_key = $2 FOR UPDATE"
    );
    let earlier = sqlx::query(&sql)
        .bind(&p.event.tenant_id)
        .bind(&p.event.idempotency_key)
        .fetch_one(&mut *conn)
        .await?;
    let earlier = event_from_row(&earlier)?;
    if earlier.created_at > p.dedupe_since {
        let deliveries = deliveries_of(conn, &earlier.id).await?;
        return Ok(Stored::Duplicate(Box::new(earlier), deliveries));
    }
    sqlx::query("UPDATE events SET idempotency_key = NULL WHERE id = $1")
        .bind(&earlier.id)
        .execute(&mut *conn)
        .await?;
    insert_event(conn, &p.event).await?;
    Ok(Stored::New)
}
