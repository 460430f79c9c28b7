//! API views of events, deliveries and attempts, shared by several resources.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hookwire::model::{Attempt, Delivery, DeliveryStatus, Event};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

/// An event as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// `evt_…`; the `webhook-id` header of its deliveries.
    #[schema(example = "evt_01a24d31a82f773aad75c68d05b06311")]
    pub id: String,
    /// Event type.
    #[serde(rename = "type")]
    #[schema(example = "order.paid")]
    pub event_type: String,
    /// Channel, if published on one.
    pub channel: Option<String>,
    /// The payload as published.
    #[schema(value_type = Object)]
    pub data: Box<RawValue>,
    /// Idempotency key, if one was given.
    pub idempotency_key: Option<String>,
    /// Ordering key, if one was given: on fifo webhooks, events with the same
    /// key are delivered one at a time in publish order.
    pub ordering_key: Option<String>,
    /// Publication time.
    pub created_at: DateTime<Utc>,
}

impl EventView {
    /// The view of a stored event.
    pub fn of(e: Event) -> Self {
        let data = RawValue::from_string(e.data).unwrap_or_else(|_| {
            // Stored data is always JSON; never fail a read over it.
            RawValue::from_string("null".into()).unwrap_or_default()
        });
        Self {
            id: e.id.into(),
            event_type: e.event_type,
            channel: e.channel,
            data,
            idempotency_key: e.idempotency_key,
            ordering_key: e.ordering_key,
            created_at: e.created_at,
        }
    }
}

/// A delivery as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// `dlv_…`
    #[schema(example = "dlv_01a24d31a830734aa7c426c0771d1846")]
    pub id: String,
    /// The event delivered.
    #[schema(example = "evt_01a24d31a82f773aad75c68d05b06311")]
    pub event_id: String,
    /// The event's type.
    #[schema(example = "order.paid")]
    pub event_type: String,
    /// The webhook delivered to.
    #[schema(example = "wh_01a24d31a81e75cc89ce54eebad340b8")]
    pub webhook_id: String,
    /// `pending`, `retrying`, `delivered` or `failed`.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempt_count: u32,
    /// When the next attempt is due; null once final, and while an attempt is
    /// in flight (its outcome decides whether there is a next one).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Status code of the last attempt.
    pub last_http_status: Option<u16>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// When the last attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it became final.
    pub completed_at: Option<DateTime<Utc>>,
}

impl DeliveryView {
    /// The view of a stored delivery.
    pub fn of(d: Delivery) -> Self {
        let next_attempt_at = d.next_attempt_at.filter(|_| d.is_scheduled());
        Self {
            id: d.id.into(),
            event_id: d.event_id.into(),
            event_type: d.event_type,
            webhook_id: d.webhook_id.into(),
            status: d.status,
            attempt_count: d.attempt_count,
            next_attempt_at,
            last_http_status: d.last_http_status,
            last_error: d.last_error,
            last_attempt_at: d.last_attempt_at,
            created_at: d.created_at,
            completed_at: d.completed_at,
        }
    }
}

/// One HTTP request of a delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// `att_…`
    pub id: String,
    /// 1-based.
    pub attempt_number: u32,
    /// When the request started.
    pub started_at: DateTime<Utc>,
    /// Request to response, in ms.
    pub duration_ms: u64,
    /// Response status, if any.
    pub http_status: Option<u16>,
    /// Transport error class, if no response.
    pub error_kind: Option<String>,
    /// Transport error detail.
    pub error: Option<String>,
    /// Headers sent.
    pub request_headers: BTreeMap<String, String>,
    /// Headers received.
    pub response_headers: BTreeMap<String, String>,
    /// First 4 KiB of the response body.
    pub response_body: Option<String>,
}

impl AttemptView {
    /// The view of a stored attempt.
    pub fn of(a: Attempt) -> Self {
        Self {
            id: a.id,
            attempt_number: a.attempt_number,
            started_at: a.started_at,
            duration_ms: a.duration_ms,
            http_status: a.http_status,
            error_kind: a.error_kind,
            error: a.error_message,
            request_headers: a.request_headers,
            response_headers: a.response_headers,
            response_body: a.response_body,
        }
    }
}
