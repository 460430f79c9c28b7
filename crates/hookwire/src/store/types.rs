//! Plain data passed to and from the [`Store`](super::Store) traits.
//!
//! Plain data: no driver type, no behaviour beyond small helpers on the values.

use chrono::{DateTime, Utc};

use crate::id::WebhookId;
use crate::model::{Delivery, DeliveryStatus, Event, EventTypeName, Webhook};
use crate::secret::WebhookSecret;

/// Narrows a webhook list.
#[derive(Debug, Clone, Default)]
pub struct WebhookFilter {
    /// Only webhooks that would receive an event of this type.
    pub event: Option<EventTypeName>,
    /// Only active (or only inactive) webhooks.
    pub is_active: Option<bool>,
}

/// What an update changed in a webhook, against the copy it was made from.
/// Only what changed is written: the row may have moved on since the copy was
/// read — the worker disables webhooks, a concurrent rotation replaces the
/// secrets, a concurrent PATCH changes another setting — and writing the
/// copy's unchanged values back would undo those.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookChanges {
    /// `is_active` was changed (enabling also clears the health columns).
    pub is_active: bool,
    /// The secrets were changed (a new secret, or a rotation).
    pub secrets: bool,
    /// The settings that were changed.
    pub settings: SettingsChanges,
}

impl WebhookChanges {
    /// The changes from `read` to `new`.
    pub fn between(read: &Webhook, new: &Webhook) -> Self {
        fn expose(s: &Option<WebhookSecret>) -> Option<&str> {
            s.as_ref().map(WebhookSecret::expose)
        }
        Self {
            is_active: read.is_active != new.is_active,
            secrets: read.secret.expose() != new.secret.expose()
                || expose(&read.previous_secret) != expose(&new.previous_secret)
                || read.previous_secret_expires_at != new.previous_secret_expires_at,
            settings: SettingsChanges::between(read, new),
        }
    }
}

/// Which of a webhook's settings an update changed (see [`WebhookChanges`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsChanges {
    /// `url`.
    pub url: bool,
    /// `name`.
    pub name: bool,
    /// `description`.
    pub description: bool,
    /// The event-type filters.
    pub events: bool,
    /// The channels.
    pub channels: bool,
    /// `timeout_seconds`.
    pub timeout: bool,
    /// The retry policy (its three columns together).
    pub retry: bool,
    /// The custom headers.
    pub headers: bool,
    /// `rate_limit_per_second`.
    pub rate_limit: bool,
    /// The payload filter.
    pub filter: bool,
    /// `ordering`.
    pub ordering: bool,
    /// The TLS client certificate.
    pub client_certificate: bool,
}

impl SettingsChanges {
    /// Every setting: write the copy's settings as they are.
    pub const ALL: Self = Self {
        url: true,
        name: true,
        description: true,
        events: true,
        channels: true,
        timeout: true,
        retry: true,
        headers: true,
        rate_limit: true,
        filter: true,
        ordering: true,
        client_certificate: true,
    };

    /// The settings that differ between `read` and `new`.
    pub fn between(read: &Webhook, new: &Webhook) -> Self {
        Self {
            url: read.url != new.url,
            name: read.name != new.name,
            description: read.description != new.description,
            events: read.events != new.events,
            channels: read.channels != new.channels,
            timeout: read.timeout_seconds != new.timeout_seconds,
            retry: read.retry != new.retry,
            headers: read.headers != new.headers,
            rate_limit: read.rate_limit_per_second != new.rate_limit_per_second,
            filter: read.filter != new.filter,
            ordering: read.ordering != new.ordering,
            client_certificate: read.client_certificate != new.client_certificate,
        }
    }
}

/// A rate-limited webhook's answer to a request for a send slot (see
/// [`QueueStore::take_send_slot`](super::QueueStore::take_send_slot)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendSlot {
    /// Taken: send at this time.
    At(DateTime<Utc>),
    /// Not taken (it would have been later than asked): the first free slot.
    Busy(DateTime<Utc>),
}

/// What a webhook's circuit says about one claimed delivery (see
/// [`CircuitStore::circuit_gate`](super::CircuitStore::circuit_gate)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Closed (or no circuit): attempt it as usual.
    Closed,
    /// Half-open and this delivery is the probe: attempt it, and report
    /// its outcome as a probe's.
    Probe,
    /// Open: the delivery went back to the queue, due at this time, with no
    /// attempt made.
    Wait(DateTime<Utc>),
}

/// What a failed attempt did to its webhook's circuit (see
/// [`CircuitStore::circuit_failed`](super::CircuitStore::circuit_failed)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitFailure {
    /// Counted; still closed.
    Counted,
    /// This failure opened the circuit; the next probe goes at this time.
    Opened(DateTime<Utc>),
    /// The failed attempt was the probe: open again until this time.
    Reopened(DateTime<Utc>),
    /// The circuit was already open and the attempt was no probe (it
    /// started before the opening): nothing changed.
    AlreadyOpen,
}

/// What publishing created, or found for a repeated idempotency key.
#[derive(Debug, Clone)]
pub struct Published {
    /// The stored event (the earlier one for a duplicate).
    pub event: Event,
    /// Its deliveries, one per matching webhook.
    pub deliveries: Vec<Delivery>,
    /// True when the idempotency key had been used: nothing new was stored.
    pub duplicate: bool,
}

/// The new state of a delivery after an attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptResult {
    /// New status.
    pub status: DeliveryStatus,
    /// When to try again (`None` when final).
    pub next_attempt_at: Option<DateTime<Utc>>,
}

/// Narrows a delivery list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only deliveries in this status.
    pub status: Option<DeliveryStatus>,
    /// Only deliveries of events of this type.
    pub event_type: Option<String>,
    /// Only deliveries created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only deliveries created before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Which of a tenant's deliveries a bulk retry requeues.
#[derive(Debug, Clone)]
pub struct RequeueFilter {
    /// Deliveries in this status (failed or delivered: final ones).
    pub status: DeliveryStatus,
    /// Created at or after this time.
    pub since: DateTime<Utc>,
    /// Created before this time, if given.
    pub until: Option<DateTime<Utc>>,
    /// Of this webhook only, if given.
    pub webhook_id: Option<String>,
    /// Of events of this type only, if given.
    pub event_type: Option<String>,
}

/// Narrows an event list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Only events of this type.
    pub event_type: Option<String>,
    /// Only events published on this channel.
    pub channel: Option<String>,
    /// Only events created at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only events created before this time.
    pub until: Option<DateTime<Utc>>,
}

/// Delivery counts of one webhook over a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookStats {
    /// Deliveries created in the window.
    pub total: u64,
    /// Of those, delivered.
    pub delivered: u64,
    /// Of those, failed for good.
    pub failed: u64,
    /// Of those, not final yet (pending or retrying).
    pub pending: u64,
    /// Mean duration of their attempts, in ms.
    pub avg_duration_ms: Option<f64>,
    /// Start of the latest attempt.
    pub last_delivery_at: Option<DateTime<Utc>>,
}

impl WebhookStats {
    /// The counts of a window with the mean duration of their attempts.
    pub(crate) fn new(counts: WebhookCounts, avg_duration_ms: Option<f64>) -> Self {
        Self {
            total: counts.total,
            delivered: counts.delivered,
            failed: counts.failed,
            pending: counts.pending,
            avg_duration_ms,
            last_delivery_at: counts.last_delivery_at,
        }
    }
}

/// A webhook's delivery counts over a window, without attempt durations: what
/// a list of webhooks shows, read for a whole page in one grouped, index-only
/// query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookCounts {
    /// Deliveries created in the window.
    pub total: u64,
    /// Of those, delivered.
    pub delivered: u64,
    /// Of those, failed for good.
    pub failed: u64,
    /// Of those, not final yet (pending or retrying).
    pub pending: u64,
    /// Start of the latest attempt.
    pub last_delivery_at: Option<DateTime<Utc>>,
}

/// Delivery counts of a tenant over a window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantStats {
    /// Deliveries created in the window.
    pub total: u64,
    /// Of those, delivered.
    pub delivered: u64,
    /// Of those, failed for good.
    pub failed: u64,
    /// Retries due now and not yet attempted (the backlog), over all time.
    pub retry_queue_size: u64,
    /// Webhooks with the most failed deliveries in the window: (id, url, failures).
    pub top_failing: Vec<(WebhookId, String, u64)>,
}

/// A webhook's deliveries created in one time bucket, for charts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimelineBucket {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Deliveries created in it that were delivered.
    pub delivered: u64,
    /// … that failed for good.
    pub failed: u64,
    /// … that are not final yet (pending or retrying).
    pub pending: u64,
    /// Mean duration of their attempts, in ms.
    pub avg_duration_ms: Option<f64>,
}
