//! Requeues asked for by people (SQLite): one delivery, a webhook's
//! failures, and bulk retries paced a second at a time, each chunk one short
//! turn of the one writer.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use sqlx::Connection as _;

use super::{ms, Result, SqliteStore};
use crate::store::{RequeueFilter, RequeueStore};

#[async_trait]
impl RequeueStore for SqliteStore {
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
               next_attempt_at = CASE WHEN ordering_key IS NULL THEN ?3 END, completed_at = NULL, \
               lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = ?1 AND tenant_id = ?2 AND (lease_owner IS NULL OR lease_expires_at < ?3)",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(ms(now))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The retry starts after `filter.since` with an empty id, so the first
    /// chunk's keyset comparison takes every delivery of that millisecond.
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
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, '', ?8)",
        )
        .bind(tenant_id)
        .bind(filter.status.as_str())
        .bind(filter.webhook_id.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(ms(until))
        .bind(i64::from(per_second.max(1)))
        .bind(ms(filter.since))
        .bind(ms(now))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(())
    }

    /// The earliest stored retry due within `ahead`: its next chunk (at most
    /// a second's worth, at most [`BULK_RETRY_CHUNK`](crate::store::BULK_RETRY_CHUNK)
    /// rows), oldest first by `(created_at, id)` after the last one taken, is
    /// requeued with due times in 100 ms steps at its pace; then the retry
    /// moves on past them, or is deleted when nothing was left. All on the
    /// writer in one transaction, so two looks never take one chunk twice.
    async fn continue_bulk_retry(
        &self,
        now: DateTime<Utc>,
        ahead: TimeDelta,
    ) -> Result<Option<u64>> {
        let mut conn = self.writer.lock().await;
        let mut tx = conn.begin().await?;
        let Some(retry) = sqlx::query_as::<_, BulkRetryRow>(
            "SELECT id, tenant_id, status, webhook_id, event_type, until_at, per_second, \
               after_created_at, after_id, next_due_at FROM bulk_retries \
             WHERE next_due_at < ?1 ORDER BY next_due_at LIMIT 1",
        )
        .bind(ms(now + ahead))
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        let per_second = retry.per_second.max(1);
        let first_due = retry.next_due_at.max(ms(now));
        // `created_at >= ?7` lets the tenant's window index start at the
        // last delivery taken; the row comparison passes the ones already
        // taken in that same millisecond.
        let taken: Vec<(i64, String)> = sqlx::query_as(
            "WITH picked AS ( \
               SELECT id, row_number() OVER (ORDER BY created_at, id) - 1 AS n FROM ( \
                 SELECT id, created_at FROM deliveries \
                 WHERE tenant_id = ?1 AND status = ?2 AND created_at >= ?7 AND created_at < ?3 \
                   AND (?4 IS NULL OR webhook_id = ?4) AND (?5 IS NULL OR event_type = ?5) \
                   AND (created_at, id) > (?7, ?8) \
                   AND (lease_owner IS NULL OR lease_expires_at < ?6) \
                 ORDER BY created_at, id LIMIT ?9)) \
             UPDATE deliveries SET status = 'retrying', \
               next_attempt_at = CASE WHEN ordering_key IS NULL \
                 THEN ?10 + picked.n * 1000 / ?11 / 100 * 100 END, \
               completed_at = NULL, lease_owner = NULL, lease_expires_at = NULL \
             FROM picked WHERE deliveries.id = picked.id \
             RETURNING deliveries.created_at, deliveries.id",
        )
        .bind(&retry.tenant_id)
        .bind(&retry.status)
        .bind(retry.until_at)
        .bind(retry.webhook_id.as_deref())
        .bind(retry.event_type.as_deref())
        .bind(ms(now))
        .bind(retry.after_created_at)
        .bind(&retry.after_id)
        .bind(per_second.min(i64::from(crate::store::BULK_RETRY_CHUNK)))
        .bind(first_due)
        .bind(per_second)
        .fetch_all(&mut *tx)
        .await?;
        match taken.iter().max() {
            None => {
                sqlx::query("DELETE FROM bulk_retries WHERE id = ?1")
                    .bind(retry.id)
                    .execute(&mut *tx)
                    .await?;
            }
            Some((created_at, id)) => {
                let n = i64::try_from(taken.len()).unwrap_or(i64::MAX);
                sqlx::query(
                    "UPDATE bulk_retries SET after_created_at = ?2, after_id = ?3, \
                       next_due_at = ?4 WHERE id = ?1",
                )
                .bind(retry.id)
                .bind(created_at)
                .bind(id)
                .bind(first_due + n * 1000 / per_second)
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok(Some(taken.len() as u64))
    }

    /// On the reader pool, with the same conditions the chunks use (a
    /// delivery leased by a live attempt is not counted).
    async fn count_requeue_matching(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM deliveries \
             WHERE tenant_id = ?1 AND status = ?2 AND created_at >= ?3 \
               AND (?4 IS NULL OR created_at < ?4) AND (?5 IS NULL OR webhook_id = ?5) \
               AND (?6 IS NULL OR event_type = ?6) \
               AND (lease_owner IS NULL OR lease_expires_at < ?7)",
        )
        .bind(tenant_id)
        .bind(filter.status.as_str())
        .bind(ms(filter.since))
        .bind(filter.until.map(ms))
        .bind(filter.webhook_id.as_deref())
        .bind(filter.event_type.as_deref())
        .bind(ms(now))
        .fetch_one(&self.reader)
        .await?;
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
               next_attempt_at = CASE WHEN ordering_key IS NULL THEN ?4 END, completed_at = NULL \
             WHERE webhook_id = ?1 AND tenant_id = ?2 AND status = 'failed' AND created_at >= ?3",
        )
        .bind(webhook_id)
        .bind(tenant_id)
        .bind(ms(since))
        .bind(ms(now))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected())
    }
}

/// A stored bulk retry (see [`QueueStore::start_bulk_retry`]); times in ms.
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
    until_at: i64,
    per_second: i64,
    after_created_at: i64,
    after_id: String,
    next_due_at: i64,
}
