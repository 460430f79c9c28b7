//! What an attempt tells about its webhook: failing since when, and whether
//! to disable it.
//!
//! It decides, it does not schedule: retries stay with `model/retry.rs`,
//! and the circuit breaker's counting with [`crate::delivery::circuit`].

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::Decision;
use crate::model::{Attempt, Webhook};
use crate::store::{self, DynStore};

/// Keep the webhook's health in step with an attempt: a success clears its
/// failing streak; a `410 Gone` (the decision's `disable`) or a streak longer
/// than `auto_disable_after` disables it. Returns why, when it disabled it.
pub(super) async fn update_health(
    store: &DynStore,
    webhook: &Webhook,
    attempt: &Attempt,
    decision: &Decision,
    now: DateTime<Utc>,
    auto_disable_after: Duration,
) -> Result<Option<String>, store::Error> {
    if attempt.succeeded() {
        if webhook.failing_since.is_some() {
            store.webhook_recovered(&webhook.id).await?;
        }
        return Ok(None);
    }
    if let Some(reason) = &decision.disable {
        tracing::warn!(webhook_id = %webhook.id, %reason, "disabling webhook");
        store.disable_webhook(&webhook.id, reason, now).await?;
        return Ok(Some(reason.clone()));
    }
    let limit = TimeDelta::from_std(auto_disable_after).unwrap_or(TimeDelta::MAX);
    if webhook
        .failing_since
        .is_some_and(|s| now.signed_duration_since(s) < limit)
    {
        // Already marked failing (as of the job's snapshot) and far from the
        // limit: nothing to write. Near it, the store's answer decides.
        return Ok(None);
    }
    let since = store.webhook_failed(&webhook.id, now).await?;
    if let Some(since) = since.filter(|s| now.signed_duration_since(*s) >= limit) {
        let reason = format!(
            "every attempt has failed since {} (auto_disable_after {})",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            humanize(auto_disable_after)
        );
        tracing::warn!(webhook_id = %webhook.id, %reason, "disabling webhook");
        store.disable_webhook(&webhook.id, &reason, now).await?;
        return Ok(Some(reason));
    }
    Ok(None)
}

/// A duration as an operator reads it in a disable reason (`3 days`).
fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s % 86_400 == 0 && s > 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 && s > 0 => format!("{}h", s / 3_600),
        s => format!("{s}s"),
    }
}
