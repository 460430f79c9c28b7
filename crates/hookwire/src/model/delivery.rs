//! Deliveries (one event to one webhook) and their attempts.
//!
//! Plain data with the few rules on it; the queue's placement and leases are
//! the store's and the worker's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{DeliveryId, EventId, TenantId, WebhookId};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryStatus {
    /// Not attempted yet.
    Pending,
    /// Attempted and failed; another attempt is scheduled.
    Retrying,
    /// A 2xx was received.
    Delivered,
    /// Every attempt failed (or the webhook is gone); no more attempts.
    Failed,
}

impl DeliveryStatus {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Retrying => "retrying",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// Parse a stored or query-string name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "retrying" => Self::Retrying,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Whether the worker is done with it.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Delivered | Self::Failed)
    }
}

/// One event on its way to one webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// `dlv_…`; sent as `x-webhook-delivery`.
    pub id: DeliveryId,
    /// The publishing tenant.
    pub tenant_id: TenantId,
    /// What is delivered.
    pub event_id: EventId,
    /// The event's type (copied, so history can filter by it cheaply).
    pub event_type: String,
    /// Where to.
    pub webhook_id: WebhookId,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempt_count: u32,
    /// When the next attempt is due (`None` once final). While the delivery is
    /// [`leased`](Self::leased) this is when the lease ends (another worker may
    /// take it over then), not a schedule.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// A worker holds it: an attempt is in flight or about to start.
    pub leased: bool,
    /// Status code of the last attempt, if it got a response.
    pub last_http_status: Option<u16>,
    /// Error of the last attempt, if it failed.
    pub last_error: Option<String>,
    /// When the last attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the delivery was created (= the event's publication).
    pub created_at: DateTime<Utc>,
    /// When it became final.
    pub completed_at: Option<DateTime<Utc>>,
    /// On a webhook with `ordering: "fifo"`: the line it waits in (the
    /// event's `ordering_key`, or `""` for events without one). While an
    /// earlier delivery of its line is unfinished it has no
    /// `next_attempt_at`: nothing claims it until that one is final.
    pub ordering_key: Option<String>,
}

impl Delivery {
    /// Whether `next_attempt_at` is a schedule: not final, and no attempt in
    /// flight (a lease's end is not when anything is due).
    pub fn is_scheduled(&self) -> bool {
        !self.status.is_final() && !self.leased
    }

    /// The fifo line this delivery waits in, if its webhook orders them.
    pub fn fifo_key(&self) -> Option<FifoKey> {
        self.ordering_key.as_ref().map(|key| FifoKey {
            webhook_id: self.webhook_id.clone(),
            ordering_key: key.clone(),
        })
    }

    /// A fresh delivery of `event` to `webhook`: due at once, or, on a fifo
    /// webhook, in the line of the event's ordering key with no due time —
    /// the store makes it due when it is first in its line.
    pub fn for_webhook(event: &super::Event, webhook: &super::Webhook) -> Self {
        let mut delivery = Self::pending(event, webhook.id.clone());
        if webhook.ordering == super::DeliveryOrder::Fifo {
            delivery.ordering_key = Some(event.ordering_key.clone().unwrap_or_default());
            delivery.next_attempt_at = None;
        }
        delivery
    }

    /// A fresh delivery of `event` to `webhook_id`, due at once.
    pub fn pending(event: &super::Event, webhook_id: WebhookId) -> Self {
        Self {
            id: DeliveryId::generate(),
            tenant_id: event.tenant_id.clone(),
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            webhook_id,
            status: DeliveryStatus::Pending,
            attempt_count: 0,
            next_attempt_at: Some(event.created_at),
            leased: false,
            last_http_status: None,
            last_error: None,
            last_attempt_at: None,
            created_at: event.created_at,
            completed_at: None,
            ordering_key: None,
        }
    }
}

/// One line of a fifo webhook: its deliveries of events with one ordering
/// key, attempted one at a time in publish order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FifoKey {
    /// The webhook.
    pub webhook_id: WebhookId,
    /// The events' `ordering_key` (`""`: events without one).
    pub ordering_key: String,
}

/// One HTTP request of a delivery and what came back.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// `att_…`
    pub id: String,
    /// The delivery.
    pub delivery_id: DeliveryId,
    /// 1-based; sent as `x-webhook-attempt`.
    pub attempt_number: u32,
    /// When the request started.
    pub started_at: DateTime<Utc>,
    /// Request to response (or error), in milliseconds.
    pub duration_ms: u64,
    /// Response status, if a response arrived.
    pub http_status: Option<u16>,
    /// Transport failure class (`timeout`, `connect`, `forbidden_address`, …).
    pub error_kind: Option<String>,
    /// Transport failure detail.
    pub error_message: Option<String>,
    /// Headers sent (signatures included; they are not secrets).
    pub request_headers: BTreeMap<String, String>,
    /// Headers received.
    pub response_headers: BTreeMap<String, String>,
    /// The first 4 KiB of the response body, lossily decoded as UTF-8.
    pub response_body: Option<String>,
}

impl Attempt {
    /// Whether this attempt succeeded (a 2xx).
    pub fn succeeded(&self) -> bool {
        self.http_status.is_some_and(|s| (200..300).contains(&s))
    }
}
