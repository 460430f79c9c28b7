//! What both backends derive the same way from what they read or write.
//!
//! Pure functions over values: no SQL and no driver type.

use chrono::{DateTime, Utc};

use super::{Error, Result, TimelineBucket};
use crate::model::{Attempt, DeliveryOrder, PayloadFilter};
use crate::secret::sealer::Sealer;
use crate::secret::ClientCertificate;

/// A webhook's payload filter as the `filter` column keeps it: its JSON text.
pub(crate) fn filter_text(filter: &Option<PayloadFilter>) -> Option<String> {
    filter.as_ref().map(|f| f.as_json().to_string())
}

/// The payload filter kept in a `filter` column. A stored filter was valid when
/// written, so one that no longer parses is corrupt data, not bad input.
pub(crate) fn filter_from_text(text: Option<String>) -> Result<Option<PayloadFilter>> {
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| e.to_string())
            .and_then(|v| PayloadFilter::parse(v, "filter").map_err(|e| e.to_string()))
            .map_err(|e| Error::Corrupt(format!("webhooks.filter: {e}")))
    })
    .transpose()
}

/// The `last_error` a delivery shows for an attempt: the transport error, or the
/// status line of a non-2xx response.
pub(crate) fn last_error(a: &Attempt) -> Option<String> {
    match (&a.error_message, a.http_status) {
        (Some(msg), _) => Some(match &a.error_kind {
            Some(kind) => format!("{kind}: {msg}"),
            None => msg.clone(),
        }),
        (None, Some(status)) if !(200..300).contains(&status) => Some(format!("HTTP {status}")),
        _ => None,
    }
}

/// Join per-bucket counts `(bucket, delivered, failed, pending)` with per-bucket
/// mean attempt durations `(bucket, ms)`, both as the backends' GROUP BY returns
/// them, into [`TimelineBucket`]s in order.
pub(crate) fn merge_timeline(
    since: DateTime<Utc>,
    bucket_ms: i64,
    counts: Vec<(i64, u64, u64, u64)>,
    durations: Vec<(i64, f64)>,
) -> Vec<TimelineBucket> {
    let durations: std::collections::HashMap<i64, f64> = durations.into_iter().collect();
    let mut buckets: Vec<TimelineBucket> = counts
        .into_iter()
        .map(|(b, delivered, failed, pending)| TimelineBucket {
            start: since + chrono::TimeDelta::milliseconds(b.saturating_mul(bucket_ms)),
            delivered,
            failed,
            pending,
            avg_duration_ms: durations.get(&b).copied(),
        })
        .collect();
    buckets.sort_by_key(|b| b.start);
    buckets
}

/// A webhook row's sealed columns as stored: what
/// [`WebhookStore::reseal_secrets`](super::WebhookStore::reseal_secrets) reads and rewrites.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SealedColumns {
    /// The webhook.
    pub id: String,
    /// `secret`.
    pub secret: String,
    /// `previous_secret`.
    pub previous_secret: Option<String>,
    /// `client_certificate`.
    pub client_certificate: Option<String>,
}

/// One stored webhook row's columns re-sealed, or `None` when all are
/// already in the sealer's current form.
pub(crate) fn reseal_row(sealer: &Sealer, stored: &SealedColumns) -> Result<Option<SealedColumns>> {
    let current = |s: &Option<String>| s.as_deref().is_none_or(|v| sealer.is_current(v));
    if sealer.is_current(&stored.secret)
        && current(&stored.previous_secret)
        && current(&stored.client_certificate)
    {
        return Ok(None);
    }
    let reseal = |value: &String| -> Result<String> {
        let plain = sealer
            .open(value)
            .map_err(|e| Error::Corrupt(format!("webhook {}: {e}", stored.id)))?;
        Ok(sealer.seal(&plain))
    };
    Ok(Some(SealedColumns {
        id: stored.id.clone(),
        secret: reseal(&stored.secret)?,
        previous_secret: stored.previous_secret.as_ref().map(reseal).transpose()?,
        client_certificate: stored.client_certificate.as_ref().map(reseal).transpose()?,
    }))
}

/// A webhook's `client_certificate` column: the certificate's stored form,
/// sealed.
pub(crate) fn seal_client_certificate(
    sealer: &Sealer,
    certificate: &Option<ClientCertificate>,
) -> Option<String> {
    certificate.as_ref().map(|c| sealer.seal(&c.to_stored()))
}

/// The certificate in a `client_certificate` column.
pub(crate) fn open_client_certificate(
    sealer: &Sealer,
    stored: Option<String>,
) -> Result<Option<ClientCertificate>> {
    stored
        .map(|s| {
            let plain = sealer
                .open(&s)
                .map_err(|e| Error::Corrupt(format!("webhooks.client_certificate: {e}")))?;
            ClientCertificate::from_stored(&plain)
                .map_err(|e| Error::Corrupt(format!("webhooks.client_certificate: {e}")))
        })
        .transpose()
}

/// A webhook's `ordering` column.
pub(crate) fn ordering_from_text(text: String) -> Result<DeliveryOrder> {
    DeliveryOrder::parse(&text).ok_or_else(|| Error::Corrupt(format!("webhooks.ordering {text:?}")))
}
