//! `hookwire bench --bulk-retry N`: new traffic measured while a large
//! recovery drains. Before the run, N deliveries go to an endpoint that
//! answers 422 and fail for good (their webhook takes only the `backlog`
//! channel, the measured webhooks only `live`); as the run starts, one
//! `POST /deliveries/retry` requeues them all, paced by the server's
//! `bulk_retry_per_second`, and they are attempted (and fail again) while the
//! run's events are published and timed.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::{json, Value};

use super::load::{publish_all, Load};
use super::receiver::Seen;

/// The failed deliveries, ready to requeue.
pub(super) struct Backlog {
    /// Before the first of them was created: the bulk retry's `since`.
    since: chrono::DateTime<chrono::Utc>,
    webhook_id: String,
    size: u64,
}

/// Make `size` failed deliveries to the receiver's `/fail`.
pub(super) async fn prepare(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    receiver: &str,
    size: usize,
    seen: &Arc<Seen>,
) -> anyhow::Result<Backlog> {
    let since = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let webhook: Value = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(key)
        .json(
            &json!({ "url": format!("{receiver}/fail"), "events": ["*"], "channels": ["backlog"],
                       "timeout_seconds": 1, "retry": { "max_attempts": 1 } }),
        )
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let webhook_id = webhook["id"].as_str().context("no webhook id")?.to_owned();
    let load = Load {
        events: size,
        rate: 0,
        publishers: 32,
        channel: Some("backlog"),
        ordering_keys: 0,
    };
    publish_all(client, base, key, &load).await?;
    // Failed for good once the store says so, not when the receiver answered.
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let stats: Value = client
            .get(format!(
                "{base}/api/v1/webhooks/{webhook_id}/stats?window=24h"
            ))
            .bearer_auth(key)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if stats["failed"].as_u64() == Some(size as u64) {
            break;
        }
        if Instant::now() > deadline {
            bail!("the backlog did not fail in time: {stats}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    seen.failed.store(0, Ordering::Relaxed);
    Ok(Backlog {
        since,
        webhook_id,
        size: size as u64,
    })
}

/// Requeue the whole backlog with one bulk retry; its answer and how long the
/// call took, in ms.
pub(super) async fn requeue(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    backlog: &Backlog,
) -> anyhow::Result<(u64, f64)> {
    let started = Instant::now();
    let answer: Value = client
        .post(format!("{base}/api/v1/deliveries/retry"))
        .bearer_auth(key)
        .json(&json!({ "since": backlog.since, "webhook_id": backlog.webhook_id }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let took = started.elapsed().as_secs_f64() * 1000.0;
    let requeued = answer["requeued"].as_u64().unwrap_or(0);
    if requeued != backlog.size {
        bail!("requeued {requeued} of {} failed deliveries", backlog.size);
    }
    Ok((requeued, took))
}
