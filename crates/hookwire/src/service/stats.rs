//! Delivery statistics over a time window.
//!
//! It shapes what the store counted; the counting is the store's SQL.

use std::time::Duration;

use chrono::TimeDelta;

use super::Hookwire;
use crate::id::{TenantId, WebhookId};
use crate::model::Webhook;
use crate::store::{TenantStats, TimelineBucket, WebhookCounts, WebhookStats};
use crate::{clock, Error, ValidationError};

/// Longest window statistics may cover.
const MAX_WINDOW: Duration = Duration::from_secs(366 * 86_400);

/// Share of deliveries that were delivered, in percent with two decimals
/// (`delivered * 100 / total`, rounded); `None` without deliveries.
pub fn success_rate(delivered: u64, total: u64) -> Option<f64> {
    (total > 0).then(|| (delivered as f64 * 10_000.0 / total as f64).round() / 100.0)
}

/// The start of a statistics window ending now; a zero or over-long window is
/// refused naming `window`.
fn window_start(window: Duration) -> Result<chrono::DateTime<chrono::Utc>, Error> {
    if window.is_zero() || window > MAX_WINDOW {
        return Err(ValidationError::field("window", "must be between 1s and 366d").into());
    }
    let span =
        TimeDelta::from_std(window).map_err(|_| ValidationError::field("window", "too long"))?;
    Ok(clock::now() - span)
}

impl Hookwire {
    /// One webhook's deliveries created in the last `window`.
    pub async fn webhook_stats(
        &self,
        tenant_id: &TenantId,
        webhook_id: &WebhookId,
        window: Duration,
    ) -> Result<WebhookStats, Error> {
        let since = window_start(window)?;
        self.webhook(tenant_id, webhook_id).await?;
        Ok(self
            .store
            .webhook_stats(tenant_id, webhook_id, since)
            .await?)
    }

    /// Delivery counts over the last `window` for each of `webhooks` (already
    /// read, so already the caller's), in their order: one query for a page of
    /// webhooks, not one per webhook.
    pub async fn webhook_counts(
        &self,
        webhooks: &[Webhook],
        window: Duration,
    ) -> Result<Vec<WebhookCounts>, Error> {
        let since = window_start(window)?;
        let ids: Vec<WebhookId> = webhooks.iter().map(|w| w.id.clone()).collect();
        let mut counts = self.store.webhook_counts(&ids, since).await?;
        Ok(ids
            .iter()
            .map(|id| counts.remove(id).unwrap_or_default())
            .collect())
    }

    /// One webhook's deliveries created in the last `window`, split into `buckets`
    /// equal time buckets (empty ones included), oldest first: what a chart of
    /// outcomes and latency over time plots.
    pub async fn webhook_timeline(
        &self,
        tenant_id: &TenantId,
        webhook_id: &WebhookId,
        window: Duration,
        buckets: u32,
    ) -> Result<Vec<TimelineBucket>, Error> {
        if !(1..=1000).contains(&buckets) {
            return Err(ValidationError::field("buckets", "must be between 1 and 1000").into());
        }
        let since = window_start(window)?;
        self.webhook(tenant_id, webhook_id).await?;
        let bucket_ms = (window.as_millis() as u64)
            .div_ceil(u64::from(buckets))
            .max(1) as i64;
        let found = self
            .store
            .webhook_timeline(webhook_id, since, bucket_ms)
            .await?;
        let mut found = found.into_iter().peekable();
        Ok((0..i64::from(buckets))
            .map(|n| {
                let start = since + TimeDelta::milliseconds(n * bucket_ms);
                match found.next_if(|b| b.start == start) {
                    Some(b) => b,
                    None => TimelineBucket {
                        start,
                        ..TimelineBucket::default()
                    },
                }
            })
            .collect())
    }

    /// The tenant's deliveries created in the last `window`, its retry backlog,
    /// and its most failing webhooks.
    pub async fn tenant_stats(
        &self,
        tenant_id: &TenantId,
        window: Duration,
    ) -> Result<TenantStats, Error> {
        let since = window_start(window)?;
        Ok(self
            .store
            .tenant_stats(tenant_id, since, clock::now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_success_rate_is_a_percentage_like_the_seeds_query() {
        assert_eq!(super::success_rate(3, 4), Some(75.0));
        assert_eq!(super::success_rate(1, 3), Some(33.33));
        assert_eq!(super::success_rate(0, 0), None);
    }
}
