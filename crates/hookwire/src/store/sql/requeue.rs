//! Requeues asked for by people ([`RequeueStore`]), once for both backends:
//! one delivery, a webhook's failures, and bulk retries paced a second at a
//! time, each chunk one short transaction. The SQL text is each backend's
//! ([`RequeueSql`]); PostgreSQL takes a bulk retry's row `FOR UPDATE SKIP
//! LOCKED`, so any number of nodes carry bulk retries on side by side, each a
//! different one, and SQLite's one writer serialises the looks.
//!
//! No SQL text and no driver type here; after a requeue the dialect wakes
//! every node's workers ([`Dialect::queue_changed`]).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::{Dialect, Read, Tx};
use crate::store::{RequeueFilter, RequeueStore, Result, BULK_RETRY_CHUNK};

/// The requeues' statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait RequeueSql {
    /// `id, tenant_id, now`: refused for a delivery leased by a live
    /// attempt; a fifo delivery gets no due time (its line decides).
    const REQUEUE_ONE: &'static str;
    /// `webhook_id, tenant_id, since, now`: every failed delivery of the
    /// webhook created since `since`.
    const REQUEUE_FAILED: &'static str;
    /// `tenant_id, status, webhook_id, event_type, until, per_second, since,
    /// now`: a bulk retry starting after `since` with an empty id.
    const INSERT_BULK: &'static str;
    /// `due_before`: the earliest stored bulk retry due by then, its columns
    /// `id, tenant_id, status, webhook_id, event_type, until_at, per_second,
    /// after_created_at, after_id, next_due_at`.
    const NEXT_BULK: &'static str;
    /// `tenant_id, status, until, webhook_id, event_type, now,
    /// after_created_at, after_id, limit, first_due, per_second`: the next
    /// chunk requeued, due in 100 ms steps at the pace; returns each
    /// one's `created_at, id`.
    const TAKE_CHUNK: &'static str;
    /// `id`: a bulk retry with nothing left.
    const DELETE_BULK: &'static str;
    /// `id, after_created_at, after_id, next_due_at`: a bulk retry moved on
    /// past its last chunk.
    const MOVE_BULK: &'static str;
    /// `tenant_id, status, since, until, webhook_id, event_type, now`: how
    /// many deliveries a bulk retry would pick, as `n`.
    const COUNT_MATCHING: &'static str;
}

/// The stored bulk retry a look took (see
/// [`RequeueStore::start_bulk_retry`]). `after_created_at` and `after_id`
/// are the keyset position of the last delivery it requeued; `next_due_at`
/// is when its next chunk's first delivery is due.
struct BulkRetry {
    id: i64,
    tenant_id: String,
    status: String,
    webhook_id: Option<String>,
    event_type: Option<String>,
    until_at: DateTime<Utc>,
    per_second: i64,
    after_created_at: DateTime<Utc>,
    after_id: String,
    next_due_at: DateTime<Utc>,
}

impl BulkRetry {
    fn from_row(row: &impl Read) -> Result<Self> {
        Ok(Self {
            id: row.int("id")?,
            tenant_id: row.text("tenant_id")?,
            status: row.text("status")?,
            webhook_id: row.opt_text("webhook_id")?,
            event_type: row.opt_text("event_type")?,
            until_at: row.time("until_at")?,
            per_second: i64::from(row.int32("per_second")?.max(1)),
            after_created_at: row.time("after_created_at")?,
            after_id: row.text("after_id")?,
            next_due_at: row.time("next_due_at")?,
        })
    }
}

/// The next chunk of the earliest bulk retry due before `due_before`, in
/// the caller's transaction: requeued, then the retry moved on past it or
/// deleted when nothing was left. `None` when no retry is due.
async fn next_chunk<D: RequeueSql, R: Read>(
    tx: &mut dyn Tx<R>,
    now: DateTime<Utc>,
    due_before: DateTime<Utc>,
) -> Result<Option<u64>> {
    let rows = tx
        .rows("bulk retries", D::NEXT_BULK, &[due_before.into()])
        .await?;
    let Some(retry) = rows.first().map(BulkRetry::from_row).transpose()? else {
        return Ok(None);
    };
    let first_due = retry.next_due_at.max(now);
    let args = [
        retry.tenant_id.as_str().into(),
        retry.status.as_str().into(),
        retry.until_at.into(),
        retry.webhook_id.as_deref().into(),
        retry.event_type.as_deref().into(),
        now.into(),
        retry.after_created_at.into(),
        retry.after_id.as_str().into(),
        retry.per_second.min(i64::from(BULK_RETRY_CHUNK)).into(),
        first_due.into(),
        retry.per_second.into(),
    ];
    let taken = tx
        .rows("deliveries", D::TAKE_CHUNK, &args)
        .await?
        .iter()
        .map(|r| Ok((r.time("created_at")?, r.text("id")?)))
        .collect::<Result<Vec<_>>>()?;
    match taken.iter().max() {
        None => {
            tx.write("bulk retries", D::DELETE_BULK, &[retry.id.into()])
                .await?;
        }
        Some((created_at, id)) => {
            let n = i64::try_from(taken.len()).unwrap_or(i64::MAX);
            let next_due = first_due + TimeDelta::milliseconds(n * 1000 / retry.per_second);
            let args = [
                retry.id.into(),
                (*created_at).into(),
                id.as_str().into(),
                next_due.into(),
            ];
            tx.write("bulk retries", D::MOVE_BULK, &args).await?;
        }
    }
    Ok(Some(taken.len() as u64))
}

#[async_trait]
impl<D: Dialect + RequeueSql + 'static> RequeueStore for D {
    async fn requeue_delivery(
        &self,
        tenant_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let args = [id.into(), tenant_id.into(), now.into()];
        let requeued = self.write("deliveries", D::REQUEUE_ONE, &args).await?;
        self.queue_changed().await?;
        Ok(requeued == 1)
    }

    /// In one statement: bounded by one webhook's failures, unlike a
    /// tenant-wide bulk retry.
    async fn requeue_failed(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let args = [
            webhook_id.into(),
            tenant_id.into(),
            since.into(),
            now.into(),
        ];
        let requeued = self.write("deliveries", D::REQUEUE_FAILED, &args).await?;
        self.queue_changed().await?;
        Ok(requeued)
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
        let args = [
            tenant_id.into(),
            filter.status.as_str().into(),
            filter.webhook_id.as_deref().into(),
            filter.event_type.as_deref().into(),
            until.into(),
            i64::from(per_second.max(1)).into(),
            filter.since.into(),
            now.into(),
        ];
        self.write("bulk retries", D::INSERT_BULK, &args).await?;
        Ok(())
    }

    /// The earliest stored retry due within `ahead`: its next chunk (at most
    /// a second's worth, at most [`BULK_RETRY_CHUNK`] rows), oldest first by
    /// `(created_at, id)` after the last one taken, is requeued with due
    /// times in 100 ms steps at its pace; then the retry moves on past them,
    /// or is deleted when nothing was left. All in one transaction, so two
    /// looks never take one chunk twice.
    async fn continue_bulk_retry(
        &self,
        now: DateTime<Utc>,
        ahead: TimeDelta,
    ) -> Result<Option<u64>> {
        let taken = self
            .transaction(move |tx| Box::pin(next_chunk::<D, D::Row>(tx, now, now + ahead)))
            .await?;
        if taken.is_some_and(|n| n > 0) {
            self.queue_changed().await?;
        }
        Ok(taken)
    }

    /// With the same conditions the chunks use (a delivery leased by a live
    /// attempt is not counted).
    async fn count_requeue_matching(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let args = [
            tenant_id.into(),
            filter.status.as_str().into(),
            filter.since.into(),
            filter.until.into(),
            filter.webhook_id.as_deref().into(),
            filter.event_type.as_deref().into(),
            now.into(),
        ];
        let n = match self.read_one(D::COUNT_MATCHING, &args).await? {
            Some(row) => row.int("n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
