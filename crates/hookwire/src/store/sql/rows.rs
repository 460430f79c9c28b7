//! The row mappings of events, deliveries, attempts and webhooks, once for
//! both backends and both SQLite drivers: a row is read by column name
//! through [`Read`], which hides how each backend keeps a value.
//!
//! Mapping only: no statement runs here, and a stored secret is opened with
//! the sealer the caller passes, never kept.

use super::Read;
use crate::model::{Attempt, Delivery, DeliveryStatus, Event, RetryPolicy, Webhook};
use crate::secret::sealer::Sealer;
use crate::secret::WebhookSecret;
use crate::store::shared::{filter_from_text, open_client_certificate, ordering_from_text};
use crate::store::{Error, Result};

/// A stored event. PostgreSQL keeps `data` as `json` (byte for byte), so
/// its statements read it back `AS data` text.
pub(crate) fn event_from_row(row: &impl Read) -> Result<Event> {
    Ok(Event {
        id: row.text("id")?.into(),
        tenant_id: row.text("tenant_id")?.into(),
        event_type: row.text("event_type")?,
        channel: row.opt_text("channel")?,
        data: row.text("data")?,
        idempotency_key: row.opt_text("idempotency_key")?,
        created_at: row.time("created_at")?,
        traceparent: row.opt_text("traceparent")?,
        ordering_key: row.opt_text("ordering_key")?,
    })
}

/// A stored delivery; a status no version wrote is corrupt data.
pub(crate) fn delivery_from_row(row: &impl Read) -> Result<Delivery> {
    let status = row.text("status")?;
    Ok(Delivery {
        id: row.text("id")?.into(),
        tenant_id: row.text("tenant_id")?.into(),
        event_id: row.text("event_id")?.into(),
        event_type: row.text("event_type")?,
        webhook_id: row.text("webhook_id")?.into(),
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("delivery status {status:?}")))?,
        attempt_count: unsigned(row.int32("attempt_count")?, "attempt_count")?,
        next_attempt_at: row.opt_time("next_attempt_at")?,
        leased: row.opt_text("lease_owner")?.is_some(),
        last_http_status: status_code(row.opt_int32("last_http_status")?)?,
        last_error: row.opt_text("last_error")?,
        last_attempt_at: row.opt_time("last_attempt_at")?,
        created_at: row.time("created_at")?,
        completed_at: row.opt_time("completed_at")?,
        ordering_key: row.opt_text("ordering_key")?,
    })
}

/// A stored attempt; headers a row has none of read as empty.
pub(crate) fn attempt_from_row(row: &impl Read) -> Result<Attempt> {
    Ok(Attempt {
        id: row.text("id")?,
        delivery_id: row.text("delivery_id")?.into(),
        attempt_number: unsigned(row.int32("attempt_number")?, "attempt_number")?,
        started_at: row.time("started_at")?,
        duration_ms: u64::from(unsigned(row.int32("duration_ms")?, "duration_ms")?),
        http_status: status_code(row.opt_int32("http_status")?)?,
        error_kind: row.opt_text("error_kind")?,
        error_message: row.opt_text("error_message")?,
        request_headers: row.opt_map("request_headers")?.unwrap_or_default(),
        response_headers: row.opt_map("response_headers")?.unwrap_or_default(),
        response_body: row.opt_text("response_body")?,
    })
}

/// A stored webhook, its secrets and client certificate opened with
/// `sealer`.
pub(crate) fn webhook_from_row(row: &impl Read, sealer: &Sealer) -> Result<Webhook> {
    let open = |stored: String| -> Result<WebhookSecret> {
        let plain = sealer
            .open(&stored)
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        Ok(WebhookSecret::from_stored(plain))
    };
    Ok(Webhook {
        id: row.text("id")?.into(),
        tenant_id: row.opt_text("tenant_id")?.map(Into::into),
        url: row.text("url")?,
        name: row.opt_text("name")?,
        description: row.opt_text("description")?,
        events: row.strings("events")?,
        channels: row.strings("channels")?,
        is_active: row.flag("is_active")?,
        timeout_seconds: unsigned(row.int32("timeout_seconds")?, "timeout_seconds")?,
        retry: RetryPolicy {
            max_attempts: unsigned(row.int32("retry_max_attempts")?, "retry_max_attempts")?,
            initial_delay_ms: millis(row.int("retry_initial_delay_ms")?)?,
            max_delay_ms: millis(row.int("retry_max_delay_ms")?)?,
        },
        headers: row
            .opt_map("headers")?
            .ok_or_else(|| Error::Corrupt("webhooks.headers is NULL".into()))?,
        rate_limit_per_second: row
            .opt_int32("rate_limit_per_second")?
            .map(|r| unsigned(r, "rate_limit_per_second"))
            .transpose()?,
        filter: filter_from_text(row.opt_text("filter")?)?,
        ordering: ordering_from_text(row.text("ordering")?)?,
        secret: open(row.text("secret")?)?,
        previous_secret: row.opt_text("previous_secret")?.map(open).transpose()?,
        previous_secret_expires_at: row.opt_time("previous_secret_expires_at")?,
        client_certificate: open_client_certificate(sealer, row.opt_text("client_certificate")?)?,
        disabled_reason: row.opt_text("disabled_reason")?,
        failing_since: row.opt_time("failing_since")?,
        created_at: row.time("created_at")?,
        updated_at: row.time("updated_at")?,
    })
}

/// A count or setting no version stores below zero.
fn unsigned(value: i32, column: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| Error::Corrupt(format!("{column} {value}")))
}

/// A delay in milliseconds.
fn millis(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(|_| Error::Corrupt(format!("delay {value} ms")))
}

/// An HTTP status as stored.
fn status_code(value: Option<i32>) -> Result<Option<u16>> {
    value
        .map(|s| u16::try_from(s).map_err(|_| Error::Corrupt(format!("HTTP status {s}"))))
        .transpose()
}
