//! The counters and histogram an attempt feeds.
//!
//! It only records; nothing here may change what an attempt does.

use super::Decision;
use crate::model::Attempt;

/// Webhooks that get their own `webhook_id` label on the failure counter; the
/// rest share `other`, so a tenant with thousands of webhooks cannot blow up
/// the metrics' cardinality.
const MAX_LABELLED_WEBHOOKS: usize = 100;

/// The `webhook_id` label of a failure: the id for the first
/// [`MAX_LABELLED_WEBHOOKS`] webhooks seen, `other` after that.
fn failure_label(webhook_id: &str) -> String {
    static LABELLED: std::sync::OnceLock<std::sync::Mutex<std::collections::HashSet<String>>> =
        std::sync::OnceLock::new();
    let set = LABELLED.get_or_init(Default::default);
    let mut set = set
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if set.contains(webhook_id) || set.len() < MAX_LABELLED_WEBHOOKS {
        set.insert(webhook_id.to_owned());
        webhook_id.to_owned()
    } else {
        "other".to_owned()
    }
}

/// Count the attempt and its outcome, and time it.
pub(super) fn record_metrics(webhook_id: &str, attempt: &Attempt, decision: &Decision) {
    let outcome = decision.result.status.as_str();
    if !attempt.succeeded() {
        metrics::counter!("hookwire_webhook_failures_total", "webhook_id" => failure_label(webhook_id))
            .increment(1);
    }
    metrics::counter!("hookwire_attempts_total", "outcome" => outcome).increment(1);
    metrics::histogram!("hookwire_attempt_duration_seconds")
        .record(attempt.duration_ms as f64 / 1000.0);
    if decision.result.status.is_final() {
        metrics::counter!("hookwire_deliveries_completed_total", "outcome" => outcome).increment(1);
    }
}
