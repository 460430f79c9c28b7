//! Window statistics, once for both backends: the counts of one webhook, of
//! a page of webhooks, of a tenant, a webhook's timeline and the queue's
//! depth, each counted in the database from indexes. Only the joining of a
//! timeline's counts with its mean durations is done in Rust
//! (`shared::merge_timeline`). It only reads: statistics never wait for a
//! writer. The SQL text is each backend's ([`StatsSql`]).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Arg, Dialect, Read};
use crate::id::WebhookId;
use crate::store::{
    merge_timeline, Result, StatsStore, TenantStats, TimelineBucket, WebhookCounts, WebhookStats,
};

/// The statistics' statements in one backend's dialect; the comment of each
/// lists its placeholders in order and names the columns it returns.
pub(crate) trait StatsSql {
    /// `webhook_id, since` → `avg`: the mean attempt duration.
    const AVG_DURATION: &'static str;
    /// `webhook_ids (list), since` → per webhook with deliveries:
    /// `webhook_id, total, delivered, failed, pending, last_at`.
    const COUNTS: &'static str;
    /// `tenant_id, since` → `total, delivered, failed`.
    const TENANT_COUNTS: &'static str;
    /// `tenant_id, now` → `retrying`: retries due now.
    const RETRY_BACKLOG: &'static str;
    /// `tenant_id, since` → the ten webhooks with the most failures:
    /// `webhook_id, url, failures`.
    const TOP_FAILING: &'static str;
    /// `webhook_id, since, bucket_ms` → per bucket number `b`: `delivered,
    /// failed, pending`.
    const TIMELINE_COUNTS: &'static str;
    /// `webhook_id, since, bucket_ms` → per bucket number `b`: `avg`.
    const TIMELINE_DURATIONS: &'static str;
    /// `now` → `due, later`: unfinished deliveries due now and later.
    const QUEUE_DEPTH: &'static str;
}

/// A count column as the counts' type (counts are never negative).
fn count(row: &impl Read, column: &str) -> Result<u64> {
    Ok(u64::try_from(row.int(column)?).unwrap_or(0))
}

#[async_trait]
impl<D: Dialect + StatsSql + 'static> StatsStore for D {
    /// The webhook's counts (see `webhook_counts`) and the mean duration of
    /// the attempts of its deliveries made since `since`.
    async fn webhook_stats(
        &self,
        _tenant_id: &str,
        webhook_id: &str,
        since: DateTime<Utc>,
    ) -> Result<WebhookStats> {
        let counts = self
            .webhook_counts(&[WebhookId::from(webhook_id)], since)
            .await?
            .remove(webhook_id)
            .unwrap_or_default();
        let avg = match self
            .read_one(D::AVG_DURATION, &[webhook_id.into(), since.into()])
            .await?
        {
            Some(row) => row.opt_float("avg")?,
            None => None,
        };
        Ok(WebhookStats::new(counts, avg))
    }

    /// Counts by status of the deliveries made since `since`, for many
    /// webhooks in one grouped statement (the dashboard's list); a webhook
    /// without deliveries in the window has no entry.
    async fn webhook_counts(
        &self,
        webhook_ids: &[WebhookId],
        since: DateTime<Utc>,
    ) -> Result<HashMap<WebhookId, WebhookCounts>> {
        let ids: Vec<&str> = webhook_ids.iter().map(WebhookId::as_str).collect();
        let rows = self
            .read(D::COUNTS, &[Arg::List(&ids), since.into()])
            .await?;
        let mut counts = HashMap::with_capacity(rows.len());
        for row in rows {
            let c = WebhookCounts {
                total: count(&row, "total")?,
                delivered: count(&row, "delivered")?,
                failed: count(&row, "failed")?,
                pending: count(&row, "pending")?,
                last_delivery_at: row.opt_time("last_at")?,
            };
            counts.insert(row.text("webhook_id")?.into(), c);
        }
        Ok(counts)
    }

    /// Three statements: the tenant's counts in the window, its retries due
    /// now (the retry backlog), and its ten webhooks with the most failures.
    async fn tenant_stats(
        &self,
        tenant_id: &str,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<TenantStats> {
        let window = [tenant_id.into(), since.into()];
        let totals = self.read(D::TENANT_COUNTS, &window).await?;
        let backlog = self
            .read(D::RETRY_BACKLOG, &[tenant_id.into(), now.into()])
            .await?;
        let top = self.read(D::TOP_FAILING, &window).await?;
        let (Some(totals), Some(backlog)) = (totals.first(), backlog.first()) else {
            return Ok(TenantStats::default());
        };
        Ok(TenantStats {
            total: count(totals, "total")?,
            delivered: count(totals, "delivered")?,
            failed: count(totals, "failed")?,
            retry_queue_size: count(backlog, "retrying")?,
            top_failing: top
                .iter()
                .map(|r| {
                    Ok((
                        r.text("webhook_id")?.into(),
                        r.text("url")?,
                        count(r, "failures")?,
                    ))
                })
                .collect::<Result<_>>()?,
        })
    }

    /// Counts per status and mean attempt duration per `bucket_ms` bucket
    /// since `since`, grouped in the database and merged in order by
    /// `merge_timeline`; empty buckets are left out.
    async fn webhook_timeline(
        &self,
        webhook_id: &str,
        since: DateTime<Utc>,
        bucket_ms: i64,
    ) -> Result<Vec<TimelineBucket>> {
        let args = [webhook_id.into(), since.into(), bucket_ms.into()];
        let counts = self
            .read(D::TIMELINE_COUNTS, &args)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.int("b")?,
                    count(r, "delivered")?,
                    count(r, "failed")?,
                    count(r, "pending")?,
                ))
            })
            .collect::<Result<_>>()?;
        let durations = self
            .read(D::TIMELINE_DURATIONS, &args)
            .await?
            .iter()
            .map(|r| Ok((r.int("b")?, r.opt_float("avg")?.unwrap_or(0.0))))
            .collect::<Result<_>>()?;
        Ok(merge_timeline(since, bucket_ms, counts, durations))
    }

    /// Unfinished deliveries due now and due later (the queue gauges).
    async fn queue_depth(&self, now: DateTime<Utc>) -> Result<(u64, u64)> {
        match self.read_one(D::QUEUE_DEPTH, &[now.into()]).await? {
            Some(row) => Ok((count(&row, "due")?, count(&row, "later")?)),
            None => Ok((0, 0)),
        }
    }
}
