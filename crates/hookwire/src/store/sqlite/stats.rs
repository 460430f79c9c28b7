//! Window statistics (SQLite), each one query over a covering index.
//!
//! Owns the SQL of [`StatsStore`](crate::store::StatsStore) for SQLite: the
//! counts of one webhook, of a page of webhooks, of a tenant, a webhook's
//! timeline in buckets, and the queue's depth. Everything is counted by the
//! database from indexes (times are integer milliseconds here, so buckets are
//! integer division); only the joining of counts with mean durations is done
//! in Rust, shared with PostgreSQL (`shared::merge_timeline`). It only reads,
//! from the reader pool: statistics never wait for the writer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::{ms, opt_time, Result, SqliteStore};
use crate::id::WebhookId;
use crate::store::{
    merge_timeline, StatsStore, TenantStats, TimelineBucket, WebhookCounts, WebhookStats,
};

#[async_trait]
impl StatsStore for SqliteStore {
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
        let avg: Option<f64> = sqlx::query_scalar(
            "SELECT AVG(a.duration_ms) FROM deliveries d JOIN attempts a ON a.delivery_id = d.id \
             WHERE d.webhook_id = ?1 AND d.created_at >= ?2",
        )
        .bind(webhook_id)
        .bind(ms(since))
        .fetch_one(&self.reader)
        .await?;
        Ok(WebhookStats::new(counts, avg))
    }

    /// Counts by status of the deliveries made since `since`, for many
    /// webhooks in one grouped statement (the dashboard's list); a webhook
    /// without deliveries in the window has no entry.
    async fn webhook_counts(
        &self,
        webhook_ids: &[WebhookId],
        since: DateTime<Utc>,
    ) -> Result<std::collections::HashMap<WebhookId, WebhookCounts>> {
        let rows = sqlx::query(
            "SELECT webhook_id, COUNT(*) AS total, \
               COALESCE(SUM(status = 'delivered'), 0) AS delivered, \
               COALESCE(SUM(status = 'failed'), 0) AS failed, \
               COALESCE(SUM(status IN ('pending', 'retrying')), 0) AS pending, \
               MAX(last_attempt_at) AS last_at \
             FROM deliveries \
             WHERE webhook_id IN (SELECT value FROM json_each(?1)) AND created_at >= ?2 \
             GROUP BY webhook_id",
        )
        .bind(super::to_json(&webhook_ids)?)
        .bind(ms(since))
        .fetch_all(&self.reader)
        .await?;
        let mut counts = std::collections::HashMap::with_capacity(rows.len());
        for row in rows {
            let id: WebhookId = row.try_get("webhook_id")?;
            let c = WebhookCounts {
                total: row.try_get::<i64, _>("total")? as u64,
                delivered: row.try_get::<i64, _>("delivered")? as u64,
                failed: row.try_get::<i64, _>("failed")? as u64,
                pending: row.try_get::<i64, _>("pending")? as u64,
                last_delivery_at: opt_time(row.try_get("last_at")?)?,
            };
            counts.insert(id, c);
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
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, \
               COALESCE(SUM(status = 'delivered'), 0) AS delivered, \
               COALESCE(SUM(status = 'failed'), 0) AS failed \
             FROM deliveries WHERE tenant_id = ?1 AND created_at >= ?2",
        )
        .bind(tenant_id)
        .bind(ms(since))
        .fetch_one(&self.reader)
        .await?;
        let retry_queue_size: i64 = sqlx::query_scalar(
            // From the partial index of retrying deliveries, named: left to
            // itself the planner may walk the tenant's history or the whole
            // due queue instead.
            "SELECT COUNT(*) FROM deliveries INDEXED BY deliveries_retrying \
             WHERE status = 'retrying' \
               AND next_attempt_at <= ?2 AND tenant_id = ?1",
        )
        .bind(tenant_id)
        .bind(ms(now))
        .fetch_one(&self.reader)
        .await?;
        let top = sqlx::query(
            // Counted in the tenant's window index alone (named: left to
            // itself, SQLite walks each webhook's window for the grouping
            // order and looks every row up in the table for its tenant),
            // then joined.
            "SELECT f.webhook_id, w.url, f.failures \
             FROM (SELECT webhook_id, COUNT(*) AS failures \
                   FROM deliveries INDEXED BY deliveries_tenant_window \
                   WHERE tenant_id = ?1 AND created_at >= ?2 AND status = 'failed' \
                   GROUP BY webhook_id) f \
             JOIN webhooks w ON w.id = f.webhook_id \
             ORDER BY f.failures DESC, f.webhook_id LIMIT 10",
        )
        .bind(tenant_id)
        .bind(ms(since))
        .fetch_all(&self.reader)
        .await?;
        Ok(TenantStats {
            total: row.try_get::<i64, _>("total")? as u64,
            delivered: row.try_get::<i64, _>("delivered")? as u64,
            failed: row.try_get::<i64, _>("failed")? as u64,
            retry_queue_size: retry_queue_size as u64,
            top_failing: top
                .iter()
                .map(|r| {
                    Ok((
                        r.try_get("webhook_id")?,
                        r.try_get("url")?,
                        r.try_get::<i64, _>("failures")? as u64,
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
        let counts = sqlx::query_as::<_, (i64, i64, i64, i64)>(
            "SELECT (created_at - ?2) / ?3 AS b, \
               COALESCE(SUM(status = 'delivered'), 0), \
               COALESCE(SUM(status = 'failed'), 0), \
               COALESCE(SUM(status IN ('pending', 'retrying')), 0) \
             FROM deliveries WHERE webhook_id = ?1 AND created_at >= ?2 GROUP BY b",
        )
        .bind(webhook_id)
        .bind(ms(since))
        .bind(bucket_ms)
        .fetch_all(&self.reader)
        .await?;
        let durations = sqlx::query_as::<_, (i64, f64)>(
            "SELECT (d.created_at - ?2) / ?3 AS b, AVG(a.duration_ms) \
             FROM deliveries d JOIN attempts a ON a.delivery_id = d.id \
             WHERE d.webhook_id = ?1 AND d.created_at >= ?2 GROUP BY b",
        )
        .bind(webhook_id)
        .bind(ms(since))
        .bind(bucket_ms)
        .fetch_all(&self.reader)
        .await?;
        let counts = counts
            .into_iter()
            .map(|(b, d, f, p)| (b, d as u64, f as u64, p as u64))
            .collect();
        Ok(merge_timeline(since, bucket_ms, counts, durations))
    }

    /// Unfinished deliveries due now and due later (the queue gauges).
    async fn queue_depth(&self, now: DateTime<Utc>) -> Result<(u64, u64)> {
        let row = sqlx::query(
            "SELECT COALESCE(SUM(next_attempt_at <= ?1), 0) AS due, \
               COALESCE(SUM(next_attempt_at > ?1), 0) AS later \
             FROM deliveries WHERE status IN ('pending', 'retrying')",
        )
        .bind(ms(now))
        .fetch_one(&self.reader)
        .await?;
        Ok((
            row.try_get::<i64, _>("due")? as u64,
            row.try_get::<i64, _>("later")? as u64,
        ))
    }
}
