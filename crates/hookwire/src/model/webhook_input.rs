//! Webhook input as clients send it, and its validation into a [`WebhookSpec`].
//!
//! It validates shape and ranges only; a URL's reachability under the SSRF
//! policy is [`crate::webhook_url`]'s.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{DeliveryOrder, EventFilter, PayloadFilter, RetryPolicy, RetryPolicyDraft, Webhook};
use crate::net::UrlPolicy;
use crate::secret::{ClientCertificate, ClientCertificateDraft, SignatureScheme, WebhookSecret};
use crate::webhook_url::WebhookUrl;
use crate::ValidationError;

mod fields;

pub use fields::parse_channel;
use fields::{check_headers, optional_text, parse_channels, parse_events};

/// A request's timeout when the draft names none.
const DEFAULT_TIMEOUT_SECONDS: u32 = 10;
/// Highest per-webhook rate limit; above it, the concurrency cap is the limit.
pub const MAX_RATE_LIMIT_PER_SECOND: u32 = 10_000;

/// Every writable webhook field, as sent to `POST` and `PUT /webhooks`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "url": "https://example.com/webhooks",
    "events": ["order.paid", "invoice.*"],
    "name": "Orders",
    "retry": { "max_attempts": 8 }
})))]
pub struct WebhookDraft {
    /// Where to deliver; https unless the server allows http.
    #[cfg_attr(feature = "openapi", schema(example = "https://example.com/webhooks"))]
    pub url: String,
    /// Event filters: exact names from the catalog, `prefix.*`, or `*`.
    #[cfg_attr(feature = "openapi", schema(example = json!(["order.paid", "invoice.*"])))]
    pub events: Vec<String>,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(example = "Orders"))]
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Default true.
    pub is_active: Option<bool>,
    /// Restrict to events published on these channels; empty or absent = all.
    #[cfg_attr(feature = "openapi", schema(example = json!(["eu"])))]
    pub channels: Option<Vec<String>>,
    /// Conditions on the delivered body (dotted paths such as `data.amount`,
    /// literals or `$eq`, `$ne`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`, `$lte`,
    /// `$exists`, `$startsWith`; `$and`, `$or`, `$not`); at most 4 KiB.
    /// Absent or `null`: every event of the subscribed types and channels.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>,
        example = json!({"data.amount": {"$gte": 100}, "data.country": {"$in": ["DE", "AT"]}})))]
    pub filter: Option<serde_json::Value>,
    /// `"fifo"`: deliveries with the same event `ordering_key` go one at a
    /// time in publish order; `"none"` (default): no ordering. Changing it
    /// is refused (409) while the webhook has deliveries pending or retrying.
    #[cfg_attr(feature = "openapi", schema(example = "none"))]
    pub ordering: Option<DeliveryOrder>,
    /// Request timeout, 1–60 (default 10).
    #[cfg_attr(feature = "openapi", schema(example = 10))]
    pub timeout_seconds: Option<u32>,
    /// Retry schedule; missing fields take their defaults.
    pub retry: Option<RetryPolicyDraft>,
    /// Extra static request headers.
    #[cfg_attr(feature = "openapi", schema(example = json!({"x-team": "billing"})))]
    pub headers: Option<BTreeMap<String, String>>,
    /// At most this many requests per second to this webhook (1–10000);
    /// absent or `null`: no limit.
    #[cfg_attr(feature = "openapi", schema(example = 50))]
    pub rate_limit_per_second: Option<u32>,
    /// `"hmac-sha256"` (default): a shared `whsec_` secret signs `v1,`;
    /// `"ed25519"`: a `whsk_` signing key signs `v1a,` and receivers verify
    /// with the webhook's `public_key`. Absent on PUT or PATCH: unchanged.
    /// Changing it needs a `secret` of the new kind.
    #[cfg_attr(feature = "openapi", schema(example = "hmac-sha256"))]
    pub signature_scheme: Option<SignatureScheme>,
    /// Signing secret; generated (`whsec_…`, or `whsk_…` for Ed25519) when
    /// absent on create, kept when absent on PUT.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    )]
    pub secret: Option<String>,
    /// A TLS client certificate and its key, presented when the receiver
    /// asks for one (mutual TLS). Write-only: views say
    /// `has_client_certificate`. Absent on PUT or PATCH: unchanged; `null`:
    /// removed.
    #[serde(
        default,
        deserialize_with = "super::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<ClientCertificateDraft>))]
    pub client_certificate: Option<Option<ClientCertificateDraft>>,
}

/// A partial update for `PATCH /webhooks/{id}`: absent fields stay as they are;
/// `null` clears `name` and `description`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPatch {
    /// New URL.
    pub url: Option<String>,
    /// New event filters.
    pub events: Option<Vec<String>>,
    /// New name (`null` clears).
    #[serde(default, deserialize_with = "super::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Option<Option<String>>,
    /// New description (`null` clears).
    #[serde(default, deserialize_with = "super::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
    /// Enable or disable; enabling clears `disabled_reason`.
    pub is_active: Option<bool>,
    /// New channel list.
    pub channels: Option<Vec<String>>,
    /// New payload filter (`null` removes it).
    #[serde(default, deserialize_with = "super::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub filter: Option<Option<serde_json::Value>>,
    /// New ordering (`"none"` or `"fifo"`).
    pub ordering: Option<DeliveryOrder>,
    /// New timeout.
    pub timeout_seconds: Option<u32>,
    /// Retry fields to change; the others keep their current values.
    pub retry: Option<RetryPolicyDraft>,
    /// New static headers (replaces the whole map).
    pub headers: Option<BTreeMap<String, String>>,
    /// New requests-per-second limit (`null` removes it).
    #[serde(default, deserialize_with = "super::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<u32>))]
    pub rate_limit_per_second: Option<Option<u32>>,
    /// New signature scheme; needs a `secret` of that kind with it.
    pub signature_scheme: Option<SignatureScheme>,
    /// New secret, effective immediately (use rotate-secret for a grace period).
    pub secret: Option<String>,
    /// New TLS client certificate (`null` removes it).
    #[serde(default, deserialize_with = "super::nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<ClientCertificateDraft>))]
    pub client_certificate: Option<Option<ClientCertificateDraft>>,
}

impl WebhookPatch {
    /// The full draft that results from applying this patch to `current`.
    pub fn onto(self, current: &Webhook) -> (WebhookDraft, RetryPolicy) {
        let draft = WebhookDraft {
            url: self.url.unwrap_or_else(|| current.url.clone()),
            events: self.events.unwrap_or_else(|| current.events.clone()),
            name: self.name.unwrap_or_else(|| current.name.clone()),
            description: self
                .description
                .unwrap_or_else(|| current.description.clone()),
            is_active: Some(self.is_active.unwrap_or(current.is_active)),
            channels: Some(self.channels.unwrap_or_else(|| current.channels.clone())),
            filter: self
                .filter
                .unwrap_or_else(|| current.filter.as_ref().map(|f| f.as_json().clone())),
            ordering: Some(self.ordering.unwrap_or(current.ordering)),
            timeout_seconds: Some(self.timeout_seconds.unwrap_or(current.timeout_seconds)),
            retry: self.retry,
            headers: Some(self.headers.unwrap_or_else(|| current.headers.clone())),
            rate_limit_per_second: self
                .rate_limit_per_second
                .unwrap_or(current.rate_limit_per_second),
            signature_scheme: self.signature_scheme,
            secret: self.secret,
            client_certificate: self.client_certificate,
        };
        (draft, current.retry)
    }
}

/// A validated set of writable webhook fields.
#[derive(Debug, Clone)]
pub struct WebhookSpec {
    /// Checked URL.
    pub url: WebhookUrl,
    /// Parsed, de-duplicated filters.
    pub events: Vec<EventFilter>,
    /// Display name.
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Whether deliveries are made.
    pub is_active: bool,
    /// Channel restriction.
    pub channels: Vec<String>,
    /// Payload filter, if any.
    pub filter: Option<PayloadFilter>,
    /// Delivery order.
    pub ordering: DeliveryOrder,
    /// Request timeout.
    pub timeout_seconds: u32,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Static headers.
    pub headers: BTreeMap<String, String>,
    /// Requests-per-second limit, if any.
    pub rate_limit_per_second: Option<u32>,
    /// The scheme asked for, if any (a given secret's kind otherwise).
    pub signature_scheme: Option<SignatureScheme>,
    /// A new secret, if one was given.
    pub secret: Option<WebhookSecret>,
    /// A new client certificate (`Some(None)`: remove it); `None`: unchanged.
    pub client_certificate: Option<Option<ClientCertificate>>,
}

impl WebhookSpec {
    /// Validate `draft`. `retry_base` fills missing retry fields; `in_catalog` says
    /// whether an exact event name exists. Resolves the URL's host (see
    /// [`WebhookUrl::parse_and_resolve`]).
    pub async fn validate(
        draft: WebhookDraft,
        retry_base: RetryPolicy,
        policy: &UrlPolicy,
        in_catalog: impl Fn(&str) -> bool,
    ) -> Result<Self, ValidationError> {
        let events = parse_events(&draft.events, &in_catalog)?;
        let channels = parse_channels(draft.channels.unwrap_or_default())?;
        let filter = draft
            .filter
            .filter(|f| !f.is_null())
            .map(|f| PayloadFilter::parse(f, "filter"))
            .transpose()?;
        let name = optional_text("name", draft.name, 200)?;
        let description = optional_text("description", draft.description, 2000)?;
        let timeout_seconds = draft.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT_SECONDS);
        if !(1..=60).contains(&timeout_seconds) {
            return Err(ValidationError::field(
                "timeout_seconds",
                "must be between 1 and 60",
            ));
        }
        if draft
            .rate_limit_per_second
            .is_some_and(|r| !(1..=MAX_RATE_LIMIT_PER_SECOND).contains(&r))
        {
            return Err(ValidationError::field(
                "rate_limit_per_second",
                format!("must be between 1 and {MAX_RATE_LIMIT_PER_SECOND}, or null for no limit"),
            ));
        }
        let retry = draft.retry.unwrap_or_default().resolve(retry_base)?;
        let headers = check_headers(draft.headers.unwrap_or_default())?;
        let secret = draft
            .secret
            .as_deref()
            .map(WebhookSecret::parse)
            .transpose()?;
        if let (Some(scheme), Some(secret)) = (draft.signature_scheme, &secret) {
            if secret.scheme() != scheme {
                return Err(ValidationError::field(
                    "secret",
                    format!(
                        "a {} webhook needs a {} secret",
                        scheme.as_str(),
                        match scheme {
                            SignatureScheme::HmacSha256 => "whsec_ (or other shared)",
                            SignatureScheme::Ed25519 => "whsk_ (Ed25519 signing key)",
                        }
                    ),
                ));
            }
        }
        let client_certificate = draft
            .client_certificate
            .map(|c| {
                c.map(|c| ClientCertificate::parse(c, crate::clock::now()))
                    .transpose()
            })
            .transpose()?;
        let url = WebhookUrl::parse_and_resolve(&draft.url, policy).await?;
        Ok(Self {
            url,
            events,
            name,
            description,
            is_active: draft.is_active.unwrap_or(true),
            channels,
            filter,
            ordering: draft.ordering.unwrap_or_default(),
            timeout_seconds,
            retry,
            headers,
            rate_limit_per_second: draft.rate_limit_per_second,
            signature_scheme: draft.signature_scheme,
            secret,
            client_certificate,
        })
    }
}
