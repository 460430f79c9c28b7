//! The delivery queue (PostgreSQL): claims use `FOR UPDATE SKIP LOCKED`, so any
//! number of nodes claim disjoint batches without waiting on each other, and
//! `NOTIFY` wakes every node's worker when work arrives.
//!
//! Owns the SQL of [`QueueStore`](crate::store::QueueStore): claim and
//! unclaim, send slots of rate-limited webhooks (one row per webhook, shared
//! by every node), lease release and takeover (heartbeats), requeues, and the
//! `LISTEN` side of the wake-up. New rows and attempt results are not written
//! here but by the pipeline's one write (`write.rs`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use super::rows::{delivery_from_row, event_from_row, EVENT_COLUMNS};
use super::webhooks::webhook_from_row;
use super::{PgStore, Result, WAKEUP_CHANNEL};
use crate::id::DeliveryId;
use crate::model::{Event, Webhook};
use crate::store::{assemble_jobs, Job, QueueStore, RequeueFilter, SendSlot};

/// The claim: the earliest due deliveries, skipping those another node holds
/// and the webhooks whose lanes are full. On the write connections its generic
/// plan walks the due index in order and stops at the limit, O(batch) however
/// many rows wait (see "Plans on growing tables" in `postgres.rs`).
pub(super) const CLAIM: &str = "WITH due AS ( \
       SELECT id FROM deliveries \
       WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $3 \
         AND NOT (webhook_id = ANY($4)) \
       ORDER BY next_attempt_at LIMIT $5 \
       FOR UPDATE SKIP LOCKED) \
     UPDATE deliveries d \
     SET lease_owner = $1, lease_expires_at = $2, next_attempt_at = $2 \
     FROM due WHERE d.id = due.id \
     RETURNING d.*";

#[async_trait]
impl QueueStore for PgStore {
    /// `CLAIM` on the write connections, then the batch's events and
    /// webhooks in the same transaction, so a job never pairs a delivery with
    /// a webhook changed after its claim. The lease's end is written as the
    /// row's `next_attempt_at` too: a lease that runs out is simply due again.
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        skip_webhooks: &[String],
    ) -> Result<Vec<Job>> {
        let mut tx = self.writes.begin().await?;
        let deliveries = sqlx::query(CLAIM)
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(skip_webhooks)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(delivery_from_row)
            .collect::<Result<Vec<_>>>()?;
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let event_ids: Vec<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = ANY($1)");
        let events: Vec<Event> = sqlx::query(&sql)
            .bind(event_ids)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(event_from_row)
            .collect::<Result<_>>()?;
        let webhook_ids: Vec<&str> = deliveries.iter().map(|d| d.webhook_id.as_str()).collect();
        let webhooks: Vec<Webhook> = sqlx::query("SELECT * FROM webhooks WHERE id = ANY($1)")
            .bind(webhook_ids)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| webhook_from_row(r, &self.sealer))
            .collect::<Result<_>>()?;
        tx.commit().await?;
        Ok(assemble_jobs(deliveries, events, webhooks))
    }

    /// Only rows still leased to `owner`: a lease that expired and went to
    /// another node meanwhile is not this worker's to hand back. Not a
    /// prepared statement: it runs rarely, with lists of any length.
    async fn unclaim(&self, owner: &str, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $3, lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner = $1 AND id = ANY($2)",
        )
        .persistent(false)
        .bind(owner)
        .bind(ids)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One upsert per take; the row lock of `ON CONFLICT DO UPDATE` orders
    /// takers on every node, and its `WHERE` refuses a slot past `latest`,
    /// after which a read says when the next one is free.
    async fn take_send_slot(
        &self,
        webhook_id: &str,
        interval_us: i64,
        now: DateTime<Utc>,
        latest: Option<DateTime<Utc>>,
    ) -> Result<SendSlot> {
        // The row lock of ON CONFLICT DO UPDATE orders concurrent takers.
        let interval = interval_us as f64;
        let taken: Option<DateTime<Utc>> = sqlx::query_scalar(
            "INSERT INTO webhook_send_slots AS s (webhook_id, next_at) \
               VALUES ($1, $2 + $3::float8 * interval '1 microsecond') \
             ON CONFLICT (webhook_id) DO UPDATE \
               SET next_at = GREATEST(s.next_at, $2) + $3::float8 * interval '1 microsecond' \
               WHERE $4::timestamptz IS NULL OR GREATEST(s.next_at, $2) <= $4 \
             RETURNING next_at - $3::float8 * interval '1 microsecond'",
        )
        .bind(webhook_id)
        .bind(now)
        .bind(interval)
        .bind(latest)
        .fetch_optional(&self.pool)
        .await?;
        match taken {
            Some(at) => Ok(SendSlot::At(at)),
            None => {
                let free = sqlx::query_scalar(
                    "SELECT next_at FROM webhook_send_slots WHERE webhook_id = $1",
                )
                .bind(webhook_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(SendSlot::Busy(free))
            }
        }
    }

    /// A stale answer only makes a nap a little too long or short; the nap
    /// is bounded by the poll interval, and `NOTIFY` wakes it for new work.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')",
        )
        .persistent(false)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Unfinished rows leased to `owner` (or to anyone) become due at `now`,
    /// and every node is woken to take them.
    async fn release_leases(&self, owner: Option<&str>, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = $2, lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner IS NOT NULL AND status IN ('pending', 'retrying') \
               AND next_attempt_at > $2 AND ($1::text IS NULL OR lease_owner = $1)",
        )
        .bind(owner)
        .bind(now)
        .execute(&self.pool)
        .await?;
        notify(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// One statement: this worker's beat, the workers silent since
    /// `dead_before` forgotten, and those workers' leases that end by
    /// `leases_end_by` made due now (a worker never frees its own).
    async fn heartbeat(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        dead_before: DateTime<Utc>,
        leases_end_by: DateTime<Utc>,
    ) -> Result<u64> {
        // One statement: the heartbeat, the dead workers forgotten and their
        // leases released; then, if any were, a wake-up for every node.
        let freed: i64 = sqlx::query_scalar(
            "WITH alive AS ( \
               INSERT INTO workers (owner, seen_at) VALUES ($1, $2) \
               ON CONFLICT (owner) DO UPDATE SET seen_at = EXCLUDED.seen_at), \
             dead AS ( \
               DELETE FROM workers WHERE seen_at < $3 AND owner <> $1 RETURNING owner), \
             freed AS ( \
               UPDATE deliveries SET next_attempt_at = $2, lease_owner = NULL, \
                 lease_expires_at = NULL \
               WHERE status IN ('pending', 'retrying') \
                 AND next_attempt_at > $2 AND next_attempt_at <= $4 \
                 AND lease_owner IN (SELECT owner FROM dead) \
               RETURNING 1) \
             SELECT count(*) FROM freed",
        )
        .persistent(false)
        .bind(owner)
        .bind(now)
        .bind(dead_before)
        .bind(leases_end_by)
        .fetch_one(&self.pool)
        .await?;
        if freed > 0 {
            notify(&self.pool).await?;
        }
        Ok(u64::try_from(freed).unwrap_or(0))
    }

    async fn resume_fifo_lines(&self, now: DateTime<Utc>) -> Result<u64> {
        self.resume_lines(now).await
    }

    /// A delivery still leased by a live attempt is refused (`false`); a
    /// fifo delivery (with an `ordering_key`) gets no due time here: its line
    /// decides when it runs.
    async fn requeue_delivery(
        &self,
        tenant_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE deliveries SET \
               status = CASE WHEN attempt_count = 0 THEN 'pending' ELSE 'retrying' END, \
               next_attempt_at = CASE WHEN ordering_key IS NULL THEN $3 END, completed_at = NULL, \
               lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND tenant_id = $2 AND (lease_owner IS NULL OR lease_expires_at < $3)",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        notify(&self.pool).await?;
        Ok(done.rows_affected() == 1)
    }

    /// The retry starts after `filter.since` with an empty id, so the first
    /// chunk's keyset comparison takes every delivery of that instant.
    async fn insert_bulk_retry(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        per_second: u32,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO bulk_retries (tenant_id, status, webhook_id, event_type, until_at, \
               per_second, after_created_at, after_id, next_due_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8)",
        )
        .bind(tenant_id)
        .bind(filter.status.as_str())
        .bind(filter.webhook_id.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(until)
        .bind(i32::try_from(per_second.max(1)).unwrap_or(i32::MAX))
        .bind(filter.since)
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(|e| super::Error::from_sqlx(e, "bulk retries"))?;
        Ok(())
    }

    /// The earliest stored retry due within `ahead`, locked with `SKIP
    /// LOCKED` so that of several nodes looking at once each takes a
    /// different retry (or none): its next chunk (at most a second's worth,
    /// at most [`BULK_RETRY_CHUNK`](crate::store::BULK_RETRY_CHUNK) rows),
    /// oldest first by `(created_at, id)` after the last one taken, is
    /// requeued with due times in 100 ms steps at its pace; then the retry
    /// moves on past them, or is deleted when nothing was left.
    async fn continue_bulk_retry(
        &self,
        now: DateTime<Utc>,
        ahead: TimeDelta,
    ) -> Result<Option<u64>> {
        let mut tx = self.pool.begin().await?;
        let Some(retry) = sqlx::query_as::<_, BulkRetryRow>(
            "SELECT id, tenant_id, status, webhook_id, event_type, until_at, per_second, \
               after_created_at, after_id, next_due_at FROM bulk_retries \
             WHERE next_due_at < $1 ORDER BY next_due_at LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(now + ahead)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let per_second = i64::from(retry.per_second.max(1));
        let first_due = retry.next_due_at.max(now);
        // `created_at >= $7` lets the tenant's window index start at the
        // last delivery taken; the row comparison passes the ones already
        // taken at that same instant.
        let taken: Vec<(DateTime<Utc>, String)> = sqlx::query_as(
            "WITH picked AS ( \
               SELECT id, created_at FROM deliveries \
               WHERE tenant_id = $1 AND status = $2 AND created_at >= $7 AND created_at < $3 \
                 AND ($4::text IS NULL OR webhook_id = $4) \
                 AND ($5::text IS NULL OR event_type = $5) \
                 AND (created_at, id) > ($7, $8) \
                 AND (lease_owner IS NULL OR lease_expires_at < $6) \
               ORDER BY created_at, id LIMIT $9 FOR UPDATE), \
             numbered AS ( \
               SELECT id, row_number() OVER (ORDER BY created_at, id) - 1 AS n FROM picked) \
             UPDATE deliveries d SET status = 'retrying', \
               next_attempt_at = CASE WHEN d.ordering_key IS NULL \
                 THEN $10 + (numbered.n * 1000 / $11 / 100 * 100) * interval '1 millisecond' END, \
               completed_at = NULL, lease_owner = NULL, lease_expires_at = NULL \
             FROM numbered WHERE d.id = numbered.id \
             RETURNING d.created_at, d.id",
        )
        .bind(&retry.tenant_id)
        .bind(&retry.status)
        .bind(retry.until_at)
        .bind(retry.webhook_id.as_deref())
        .bind(retry.event_type.as_deref())
        .bind(now)
        .bind(retry.after_created_at)
        .bind(&retry.after_id)
        .bind(per_second.min(i64::from(crate::store::BULK_RETRY_CHUNK)))
        .bind(first_due)
        .bind(per_second)
        .fetch_all(&mut *tx)
        .await?;
        match taken.iter().max() {
            None => {
                sqlx::query("DELETE FROM bulk_retries WHERE id = $1")
                    .bind(retry.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some((created_at, id)) => {
                let n = i64::try_from(taken.len()).unwrap_or(i64::MAX);
                sqlx::query(
                    "UPDATE bulk_retries SET after_created_at = $2, after_id = $3, \
                       next_due_at = $4 WHERE id = $1",
                )
                .bind(retry.id)
                .bind(created_at)
                .bind(id)
                .bind(first_due + TimeDelta::milliseconds(n * 1000 / per_second))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        if !taken.is_empty() {
            notify(&self.pool).await?;
        }
        Ok(Some(taken.len() as u64))
    }

    /// With the same conditions the chunks use (a delivery leased by a live
    /// attempt is not counted).
    async fn count_requeue_matching(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries \
             WHERE tenant_id = $1 AND status = $2 AND created_at >= $3 \
               AND ($4::timestamptz IS NULL OR created_at < $4) \
               AND ($5::text IS NULL OR webhook_id = $5) \
               AND ($6::text IS NULL OR event_type = $6) \
               AND (lease_owner IS NULL OR lease_expires_at < $7)",
        )
        .bind(tenant_id)
        .bind(filter.status.as_str())
        .bind(filter.since)
        .bind(filter.until)
        .bind(filter.webhook_id.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| super::Error::from_sqlx(e, "deliveries"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Every failed delivery of the webhook since `since`, in one statement
    /// (bounded by one webhook's failures, unlike a tenant-wide bulk retry).
    async fn requeue_failed(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET status = 'retrying', \
               next_attempt_at = CASE WHEN ordering_key IS NULL THEN $4 END, completed_at = NULL \
             WHERE webhook_id = $1 AND tenant_id = $2 AND status = 'failed' AND created_at >= $3",
        )
        .bind(webhook_id)
        .bind(tenant_id)
        .bind(since)
        .bind(now)
        .execute(&self.pool)
        .await?;
        notify(&self.pool).await?;
        Ok(done.rows_affected())
    }

    fn watch(&self, wake: Arc<Notify>) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            loop {
                match listen(&pool, &wake).await {
                    Ok(()) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "LISTEN connection lost; polling until it is back");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
    }
}

/// Wake this node on every notification until the pool closes.
async fn listen(pool: &sqlx::PgPool, wake: &Notify) -> Result<()> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(WAKEUP_CHANNEL).await?;
    // Anything published while we were not listening is found by this wake-up.
    wake.notify_one();
    loop {
        // `None` means the connection was re-established and notifications may
        // have been missed: wake either way.
        listener.try_recv().await?;
        wake.notify_one();
        if pool.is_closed() {
            return Ok(());
        }
    }
}

async fn notify(pool: &sqlx::PgPool) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WAKEUP_CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}

/// A stored bulk retry (see [`QueueStore::start_bulk_retry`]).
/// `after_created_at` and `after_id` are the keyset position of the last
/// delivery it requeued; `next_due_at` is when its next chunk's first
/// delivery is due.
#[derive(sqlx::FromRow)]
struct BulkRetryRow {
    id: i64,
    tenant_id: String,
    status: String,
    webhook_id: Option<String>,
    event_type: Option<String>,
    until_at: DateTime<Utc>,
    per_second: i32,
    after_created_at: DateTime<Utc>,
    after_id: String,
    next_due_at: DateTime<Utc>,
}
