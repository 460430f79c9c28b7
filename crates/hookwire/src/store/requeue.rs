//! Operators putting deliveries back in the queue: one delivery now, a
//! webhook's failures since a time, and bulk retries — stored, so any node
//! carries them on, and paced, so a recovery of 100,000 deliveries never
//! holds the database in one long statement.
//!
//! It owns the requeue rules shared by both backends (the window a bulk
//! retry covers); the worker's claim and lease statements are
//! [`QueueStore`](super::QueueStore)'s, and the pacing loop is the
//! pipeline's (`pipeline/worker/bulk_retry.rs`).

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

use super::{RequeueFilter, Result};

/// The most deliveries one [`RequeueStore::continue_bulk_retry`] requeues: a
/// statement short enough that new traffic never waits long behind it.
pub const BULK_RETRY_CHUNK: u32 = 2_000;

/// Requeues asked for by people (the API, the dashboard, the CLI).
#[async_trait]
pub trait RequeueStore: Send + Sync + 'static {
    /// Schedule one more attempt of a delivery now. `false` if it does not exist
    /// or is being attempted at this moment.
    async fn requeue_delivery(&self, tenant_id: &str, id: &str, now: DateTime<Utc>)
        -> Result<bool>;
    /// Schedule one more attempt for each failed delivery of a webhook created
    /// since `since`; returns how many.
    async fn requeue_failed(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// Store a bulk retry of the deliveries `filter` picks now — those
    /// created before `now` (or before `filter.until`, if earlier) and not
    /// being attempted — to be requeued `per_second` a second, oldest first,
    /// by [`continue_bulk_retry`](Self::continue_bulk_retry). Returns how
    /// many it picks; nothing is stored when that is none. Stored, so any
    /// node carries it on, and one large recovery costs the database a
    /// second's worth of rows at a time instead of one long statement that
    /// new traffic would wait behind.
    async fn start_bulk_retry(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        now: DateTime<Utc>,
        per_second: u32,
    ) -> Result<u64> {
        let until = filter.until.map_or(now, |until| until.min(now));
        let fixed = RequeueFilter {
            until: Some(until),
            ..filter.clone()
        };
        let picked = self.count_requeue_matching(tenant_id, &fixed, now).await?;
        if picked > 0 {
            self.insert_bulk_retry(tenant_id, filter, until, now, per_second)
                .await?;
        }
        Ok(picked)
    }
    /// Store the row of [`start_bulk_retry`](Self::start_bulk_retry): what
    /// `filter` picks up to `until`, starting from its `since`, the first
    /// delivery due at `now`.
    async fn insert_bulk_retry(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
        per_second: u32,
    ) -> Result<()>;
    /// Take one stored bulk retry whose next delivery is due before
    /// `now + ahead` (on PostgreSQL, one no other node holds) and requeue
    /// its next deliveries — at most a second's worth, at most
    /// [`BULK_RETRY_CHUNK`] — each due at its turn, never before `now`.
    /// Turns come in steps of a tenth of a second (a tenth of `per_second`
    /// at a time), so the claim loop takes them in batches rather than one
    /// claim per delivery a millisecond apart.
    /// Deliveries that changed since the retry was accepted (requeued by
    /// hand, being attempted) are passed over. `None` when no bulk retry is
    /// due; `Some(0)` when the one taken had nothing left and is deleted.
    async fn continue_bulk_retry(
        &self,
        now: DateTime<Utc>,
        ahead: TimeDelta,
    ) -> Result<Option<u64>>;
    /// How many deliveries [`start_bulk_retry`](Self::start_bulk_retry) would pick now
    /// (a preview: the answer may move before the retry).
    async fn count_requeue_matching(
        &self,
        tenant_id: &str,
        filter: &RequeueFilter,
        now: DateTime<Utc>,
    ) -> Result<u64>;
}
