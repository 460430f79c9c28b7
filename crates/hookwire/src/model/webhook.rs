//! The stored webhook subscription.
//!
//! The stored form only: client input and its validation are
//! [`webhook_input`](super::webhook_input), secrets' sealing is
//! [`crate::secret`].

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};

use super::{EventFilter, PayloadFilter, RetryPolicy, WebhookSpec};
use crate::id::{TenantId, WebhookId};
use crate::secret::{ClientCertificate, WebhookSecret};

/// How a webhook's deliveries are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeliveryOrder {
    /// Every delivery is attempted as soon as it is due: the fastest, and a
    /// later event may arrive before an earlier one that is being retried.
    #[default]
    None,
    /// Deliveries with the same event `ordering_key` (events without one
    /// share one key) are attempted one at a time, in publish order: the next
    /// starts only once the one before it is delivered or failed. Other keys
    /// go on in parallel, up to the webhook's concurrency cap.
    Fifo,
}

impl DeliveryOrder {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Fifo => "fifo",
        }
    }

    /// Parse a stored or submitted name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(Self::None),
            "fifo" => Some(Self::Fifo),
            _ => None,
        }
    }
}

/// A subscription: where to deliver which events, how, and with which secret.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// `wh_…`
    pub id: WebhookId,
    /// Owning tenant; `None` for a global webhook from the config file, which
    /// receives matching events of every tenant.
    pub tenant_id: Option<TenantId>,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Optional display name.
    pub name: Option<String>,
    /// Optional free text.
    pub description: Option<String>,
    /// Event filters (`*`, `prefix.*`, exact names); never empty.
    pub events: Vec<String>,
    /// If non-empty, an event published on a channel reaches this webhook only when
    /// the channel is listed here. Empty means every channel.
    pub channels: Vec<String>,
    /// Conditions on the delivered body an event must meet to reach this
    /// webhook, on top of `events` and `channels`; `None`: every event.
    pub filter: Option<PayloadFilter>,
    /// Whether deliveries sharing an event `ordering_key` go one at a time in
    /// publish order ([`DeliveryOrder::Fifo`]) or all at once.
    pub ordering: DeliveryOrder,
    /// Whether deliveries are made. Cleared by the user, or by hookwire on `410
    /// Gone` and persistent failure (then `disabled_reason` says why).
    pub is_active: bool,
    /// Per-request timeout, 1–60 s.
    pub timeout_seconds: u32,
    /// Retry schedule for this webhook's deliveries.
    pub retry: RetryPolicy,
    /// Extra static headers sent with every request (e.g. a receiver's own auth).
    pub headers: BTreeMap<String, String>,
    /// At most this many requests per second to this webhook, over all nodes
    /// (for receivers that cannot take a burst); `None`: no limit beyond the
    /// per-webhook concurrency cap.
    pub rate_limit_per_second: Option<u32>,
    /// Current signing secret.
    pub secret: WebhookSecret,
    /// The secret before the last rotation; still signs alongside until
    /// `previous_secret_expires_at`, so receivers can switch without dropping
    /// deliveries.
    pub previous_secret: Option<WebhookSecret>,
    /// End of the rotation grace period.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// Presented on TLS handshakes when the receiver asks for a client
    /// certificate; never shown by the API.
    pub client_certificate: Option<ClientCertificate>,
    /// Why hookwire disabled the webhook, if it did.
    pub disabled_reason: Option<String>,
    /// Start of the current unbroken run of failed attempts; `None` while healthy.
    /// A webhook failing for longer than `auto_disable_after` is disabled.
    pub failing_since: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change by the user or by hookwire.
    pub updated_at: DateTime<Utc>,
}

impl Webhook {
    /// A new webhook for `tenant_id` from a validated spec; generates a secret when
    /// none was given.
    pub fn create(tenant_id: Option<&TenantId>, spec: WebhookSpec) -> Self {
        let now = crate::clock::now();
        let mut w = Self {
            id: WebhookId::generate(),
            tenant_id: tenant_id.cloned(),
            url: String::new(),
            name: None,
            description: None,
            events: Vec::new(),
            channels: Vec::new(),
            filter: None,
            ordering: DeliveryOrder::None,
            is_active: true,
            timeout_seconds: 0,
            retry: RetryPolicy::default(),
            headers: BTreeMap::new(),
            rate_limit_per_second: None,
            secret: WebhookSecret::generate_for(spec.signature_scheme.unwrap_or_default()),
            previous_secret: None,
            previous_secret_expires_at: None,
            client_certificate: None,
            disabled_reason: None,
            failing_since: None,
            created_at: now,
            updated_at: now,
        };
        w.apply(spec);
        w
    }

    /// Replace every writable field with `spec` (PUT semantics; PATCH builds a full
    /// spec from the current values first). A given secret replaces the current one
    /// immediately; use rotation for a grace period.
    pub fn apply(&mut self, spec: WebhookSpec) {
        if spec.is_active && !self.is_active {
            self.disabled_reason = None;
            self.failing_since = None;
        }
        self.url = spec.url.as_str().to_owned();
        self.name = spec.name;
        self.description = spec.description;
        self.events = spec.events.iter().map(EventFilter::to_pattern).collect();
        self.channels = spec.channels;
        self.filter = spec.filter;
        self.ordering = spec.ordering;
        self.is_active = spec.is_active;
        self.timeout_seconds = spec.timeout_seconds;
        self.retry = spec.retry;
        self.headers = spec.headers;
        self.rate_limit_per_second = spec.rate_limit_per_second;
        if let Some(secret) = spec.secret {
            self.secret = secret;
            self.previous_secret = None;
            self.previous_secret_expires_at = None;
        }
        if let Some(certificate) = spec.client_certificate {
            self.client_certificate = certificate;
        }
        self.updated_at = crate::clock::now();
    }
}
