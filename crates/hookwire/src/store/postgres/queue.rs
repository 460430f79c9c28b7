//! The delivery queue (PostgreSQL): claims use `FOR UPDATE SKIP LOCKED`, so any
//! number of nodes claim disjoint batches without waiting on each other, and
//! `NOTIFY` wakes every node's worker when work arrives.
//!
//! Owns the SQL of [`QueueStore`](crate::store::QueueStore): claim and
//! unclaim, send slots of rate-limited webhooks (one row per webhook, shared
//! by every node), lease release and takeover (heartbeats), requeues, and the
//! `LISTEN` side of the wake-up. New rows and attempt results are not written
//! here but by the pipeline's one write (`write.rs`).
//!
//! It owns claim, lease and requeue statements; recording attempt results is
//! [`record`](super::record)'s, inside the group commit.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgListener;
use tokio::sync::Notify;

use super::rows::event_columns;
use super::{PgStore, Result, WAKEUP_CHANNEL};
use crate::id::DeliveryId;
use crate::store::sql::claim::{claim_in, ClaimSql};
use crate::store::{Job, QueueStore, SendSlot};

impl ClaimSql for PgStore {
    /// The earliest due deliveries, skipping those another node holds and
    /// the webhooks whose lanes are full. On the write connections its
    /// generic plan walks the due index in order and stops at the limit,
    /// O(batch) however many rows wait (see "Plans on growing tables" in
    /// `postgres.rs`).
    const CLAIM: &'static str = "WITH due AS ( \
           SELECT id FROM deliveries \
           WHERE status IN ('pending', 'retrying') AND next_attempt_at <= $3 \
             AND NOT (webhook_id = ANY($4)) \
           ORDER BY next_attempt_at LIMIT $5 \
           FOR UPDATE SKIP LOCKED) \
         UPDATE deliveries d \
         SET lease_owner = $1, lease_expires_at = $2, next_attempt_at = $2 \
         FROM due WHERE d.id = due.id \
         RETURNING d.*";
    const EVENTS_OF: &'static str = concat!(
        "SELECT ",
        event_columns!(),
        " FROM events WHERE id = ANY($1)"
    );
    const WEBHOOKS_OF: &'static str = "SELECT * FROM webhooks WHERE id = ANY($1)";
}

#[async_trait]
impl QueueStore for PgStore {
    /// On the write connections (see `ClaimSql::CLAIM` above); the statements
    /// are shared (`store/sql/claim.rs`).
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        skip_webhooks: &[String],
    ) -> Result<Vec<Job>> {
        let mut tx = self.writes.begin().await?;
        let times = (now, lease_until);
        let jobs =
            claim_in::<Self, _>(&mut tx, &self.sealer, owner, times, limit, skip_webhooks).await?;
        if !jobs.is_empty() {
            tx.commit().await?;
        }
        Ok(jobs)
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

/// Wake every node's worker (`NOTIFY` on the wake-up channel).
pub(super) async fn notify(pool: &sqlx::PgPool) -> Result<()> {
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(WAKEUP_CHANNEL)
        .execute(pool)
        .await?;
    Ok(())
}
