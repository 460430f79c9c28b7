//! The delivery queue (SQLite): claims are one `UPDATE … RETURNING` on the single
//! writer connection, so two claims can never take the same row.
//!
//! Owns the SQL of [`QueueStore`](crate::store::QueueStore): claim and
//! unclaim, send slots of rate-limited webhooks, lease release and takeover
//! (heartbeats), requeues. The deliveries table is the queue; a lease is a
//! `lease_owner` plus a `next_attempt_at` at the lease's end. New rows and
//! attempt results are not written here but by the pipeline's one write
//! (`write.rs`).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension as _;
use sqlx::Connection;

use super::{ms, opt_time, to_json, Error, Result, SqliteStore};
use crate::id::DeliveryId;
use crate::store::sql::claim::{claim_in, ClaimSql};
use crate::store::{Job, QueueStore, SendSlot};

impl ClaimSql for SqliteStore {
    /// One `UPDATE … RETURNING` on the writer picks and leases the batch,
    /// so no claim can take a row another has. The skip list goes in as one
    /// JSON array (`json_each`): one statement text, prepared once, for any
    /// length.
    const CLAIM: &'static str =
        "UPDATE deliveries SET lease_owner = ?1, lease_expires_at = ?2, next_attempt_at = ?2 \
         WHERE id IN (SELECT id FROM deliveries \
                      WHERE status IN ('pending', 'retrying') AND next_attempt_at <= ?3 \
                        AND webhook_id NOT IN (SELECT value FROM json_each(?4)) \
                      ORDER BY next_attempt_at LIMIT ?5) \
         RETURNING *";
    const EVENTS_OF: &'static str =
        "SELECT * FROM events WHERE id IN (SELECT value FROM json_each(?1))";
    const WEBHOOKS_OF: &'static str =
        "SELECT * FROM webhooks WHERE id IN (SELECT value FROM json_each(?1))";
}

#[async_trait]
impl QueueStore for SqliteStore {
    /// On the writer (see `ClaimSql::CLAIM` above); the statements are shared
    /// (`store/sql/claim.rs`).
    async fn claim_due(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
        skip_webhooks: &[String],
    ) -> Result<Vec<Job>> {
        let mut conn = self.writer.lock().await;
        let mut tx = conn.begin().await?;
        let times = (now, lease_until);
        let jobs =
            claim_in::<Self, _>(&mut tx, &self.sealer, owner, times, limit, skip_webhooks).await?;
        if !jobs.is_empty() {
            tx.commit().await?;
        }
        Ok(jobs)
    }

    /// Only rows still leased to `owner`: a lease that expired and went to
    /// another worker meanwhile is not this worker's to hand back.
    async fn unclaim(&self, owner: &str, ids: &[DeliveryId], now: DateTime<Utc>) -> Result<()> {
        sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ?3, lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner = ?1 AND id IN (SELECT value FROM json_each(?2))",
        )
        .bind(owner)
        .bind(to_json(&ids)?)
        .bind(ms(now))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(())
    }

    /// One upsert per take on the `Inline` connection without waiting for
    /// the disk: the `WHERE` of its `DO UPDATE` refuses a slot past `latest`,
    /// and then a read says when the next one is free.
    async fn take_send_slot(
        &self,
        webhook_id: &str,
        interval_us: i64,
        now: DateTime<Utc>,
        latest: Option<DateTime<Utc>>,
    ) -> Result<SendSlot> {
        // Times in microseconds: a limit of up to 10,000/s needs them. A slot
        // is a rate limiter's state, not history: its commit need not wait for
        // the disk (after a power loss the slots may start afresh).
        let slot = |us: i64| {
            DateTime::from_timestamp_micros(us)
                .ok_or_else(|| Error::Corrupt(format!("send slot {us} out of range")))
        };
        let mut writer = self.writer.lock().await;
        writer.inline().unsynced(|c| {
            let taken: Option<i64> = c
                .prepare_cached(
                    "INSERT INTO webhook_send_slots (webhook_id, next_at) VALUES (?1, ?2 + ?3) \
                     ON CONFLICT (webhook_id) DO UPDATE SET next_at = MAX(next_at, ?2) + ?3 \
                       WHERE ?4 IS NULL OR MAX(next_at, ?2) <= ?4 \
                     RETURNING next_at - ?3",
                )?
                .query_row(
                    rusqlite::params![
                        webhook_id,
                        now.timestamp_micros(),
                        interval_us,
                        latest.map(|l| l.timestamp_micros())
                    ],
                    |row| row.get(0),
                )
                .optional()?;
            match taken {
                Some(at) => Ok(SendSlot::At(slot(at)?)),
                None => {
                    let free: i64 = c
                        .prepare_cached(
                            "SELECT next_at FROM webhook_send_slots WHERE webhook_id = ?1",
                        )?
                        .query_row([webhook_id], |row| row.get(0))?;
                    Ok(SendSlot::Busy(slot(free)?))
                }
            }
        })
    }

    /// On the reader pool: a stale answer only makes a nap a little too long
    /// or short, and the nap is bounded by the poll interval anyway.
    async fn next_due_at(&self) -> Result<Option<DateTime<Utc>>> {
        let min: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM deliveries WHERE status IN ('pending', 'retrying')",
        )
        .fetch_one(&self.reader)
        .await?;
        opt_time(min)
    }

    /// Unfinished rows leased to `owner` (or to anyone) become due at `now`;
    /// a row whose lease already ended is due anyway and left as it is.
    async fn release_leases(&self, owner: Option<&str>, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ?2, lease_owner = NULL, lease_expires_at = NULL \
             WHERE lease_owner IS NOT NULL AND status IN ('pending', 'retrying') \
               AND next_attempt_at > ?2 AND (?1 IS NULL OR lease_owner = ?1)",
        )
        .bind(owner)
        .bind(ms(now))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected())
    }

    /// One transaction: this worker's beat, then the leases of workers silent
    /// since `dead_before` that end by `leases_end_by` made due now, then the
    /// silent workers' rows deleted (a worker never frees its own leases).
    async fn heartbeat(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        dead_before: DateTime<Utc>,
        leases_end_by: DateTime<Utc>,
    ) -> Result<u64> {
        let mut conn = self.writer.lock().await;
        let mut tx = conn.begin().await?;
        sqlx::query(
            "INSERT INTO workers (owner, seen_at) VALUES (?1, ?2) \
             ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at",
        )
        .bind(owner)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let freed = sqlx::query(
            "UPDATE deliveries SET next_attempt_at = ?2, lease_owner = NULL, lease_expires_at = NULL \
             WHERE status IN ('pending', 'retrying') \
               AND next_attempt_at > ?2 AND next_attempt_at <= ?4 \
               AND lease_owner IN (SELECT owner FROM workers WHERE seen_at < ?3 AND owner <> ?1)",
        )
        .bind(owner)
        .bind(ms(now))
        .bind(ms(dead_before))
        .bind(ms(leases_end_by))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("DELETE FROM workers WHERE seen_at < ?2 AND owner <> ?1")
            .bind(owner)
            .bind(ms(dead_before))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(freed)
    }

    async fn resume_fifo_lines(&self, now: DateTime<Utc>) -> Result<u64> {
        self.resume_lines(now).await
    }
}
