//! Published events.
//!
//! It validates what a publish may carry; fan-out to webhooks is the pipeline's
//! (`pipeline/fan_out.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::webhook_input::parse_channel;
use super::EventTypeName;
use crate::id::{EventId, TenantId};
use crate::ValidationError;

/// How long an idempotency key dedupes publishes.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;

/// An event as stored: published once, delivered to every matching webhook.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_…`; also the `webhook-id` header of every delivery, so receivers can
    /// dedupe retries.
    pub id: EventId,
    /// Publisher.
    pub tenant_id: TenantId,
    /// Catalog name, e.g. `artifact.completed`.
    pub event_type: String,
    /// Channel the event was published on; restricts which webhooks get it.
    pub channel: Option<String>,
    /// The payload, compact JSON text exactly as it will be sent.
    pub data: String,
    /// Client-supplied key that dedupes publishes for 24 h.
    pub idempotency_key: Option<String>,
    /// Publication time.
    pub created_at: DateTime<Utc>,
    /// The W3C `traceparent` of the span that published it, when traces are
    /// exported (see [`trace_context`](crate::trace_context)): every attempt
    /// of its deliveries joins that trace, on any node, however late.
    pub traceparent: Option<String>,
    /// The line this event waits in on webhooks with `ordering: "fifo"`:
    /// their deliveries of events with the same key go one at a time, in
    /// publish order. `None` shares one line with every other event without
    /// a key. Ignored by webhooks without ordering.
    pub ordering_key: Option<String>,
}

/// The body of `POST /events`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "type": "order.paid",
    "data": { "order_id": "o_1001", "amount": 4200 }
})))]
pub struct NewEvent {
    /// Event type from the catalog.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", schema(example = "order.paid"))]
    pub event_type: String,
    /// Any JSON payload, delivered as the `data` field.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
    /// Only webhooks with no channels, or with this channel, receive it.
    #[cfg_attr(feature = "openapi", schema(example = "eu"))]
    pub channel: Option<String>,
    /// Idempotency key (the `Idempotency-Key` header takes precedence).
    #[cfg_attr(feature = "openapi", schema(example = "order-1001-paid"))]
    pub id: Option<String>,
    /// On webhooks with `ordering: "fifo"`, events with the same key are
    /// delivered one at a time in publish order (1–128 characters).
    #[cfg_attr(feature = "openapi", schema(example = "customer-42"))]
    pub ordering_key: Option<String>,
}

impl Event {
    /// Validate a publish request. `idempotency_key` is the header's value, if any;
    /// `in_catalog` says whether a type exists.
    pub fn from_new(
        tenant_id: &TenantId,
        new: NewEvent,
        idempotency_key: Option<&str>,
        in_catalog: impl Fn(&str) -> bool,
    ) -> Result<Self, ValidationError> {
        let name = EventTypeName::parse(&new.event_type, "type")?;
        if !in_catalog(name.as_str()) {
            return Err(ValidationError::with_code(
                "unknown_event_type",
                "type",
                format!(
                    "event type {:?} is not in the catalog (GET /api/v1/event-types)",
                    new.event_type
                ),
            ));
        }
        let channel = new
            .channel
            .as_deref()
            .map(|c| parse_channel(c, "channel"))
            .transpose()?;
        let key = match idempotency_key {
            Some(k) => Some(check_key(k, "Idempotency-Key")?),
            None => new.id.as_deref().map(|k| check_key(k, "id")).transpose()?,
        };
        let ordering_key = new
            .ordering_key
            .map(|k| check_ordering_key(k, "ordering_key"))
            .transpose()?;
        Ok(Self {
            id: EventId::generate(),
            tenant_id: tenant_id.clone(),
            event_type: name.as_str().to_owned(),
            channel,
            data: new.data.to_string(),
            idempotency_key: key,
            created_at: crate::clock::now(),
            traceparent: None,
            ordering_key,
        })
    }
}

/// The longest `ordering_key`, in characters.
pub const MAX_ORDERING_KEY_CHARS: usize = 128;

/// An ordering key: 1–[`MAX_ORDERING_KEY_CHARS`] characters, none a control
/// character (keys appear in logs and the dashboard).
fn check_ordering_key(key: String, field: &str) -> Result<String, ValidationError> {
    let chars = key.chars().count();
    if (1..=MAX_ORDERING_KEY_CHARS).contains(&chars) && key.chars().all(|c| !c.is_control()) {
        Ok(key)
    } else {
        Err(ValidationError::field(
            field,
            format!(
                "an ordering key must be 1-{MAX_ORDERING_KEY_CHARS} printable characters \
                 (this one has {chars})"
            ),
        ))
    }
}

/// An idempotency key: 1–255 bytes, none a control character (it arrives
/// as a header as often as in the body).
fn check_key(key: &str, field: &str) -> Result<String, ValidationError> {
    let ok = !key.is_empty() && key.len() <= 255 && key.chars().all(|c| !c.is_control());
    if ok {
        Ok(key.to_owned())
    } else {
        Err(ValidationError::field(
            field,
            "an idempotency key must be 1-255 printable characters",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(t: &str) -> NewEvent {
        NewEvent {
            event_type: t.into(),
            data: serde_json::json!({ "b": 1, "a": [true] }),
            channel: None,
            id: Some("from-body".into()),
            ordering_key: None,
        }
    }

    #[test]
    fn an_event_keeps_its_payload_compact_and_in_order() {
        let e = Event::from_new(&"tn_1".into(), new("a.b"), None, |_| true).unwrap();
        assert_eq!(e.data, r#"{"b":1,"a":[true]}"#);
        assert_eq!(e.idempotency_key.as_deref(), Some("from-body"));
        let e = Event::from_new(&"tn_1".into(), new("a.b"), Some("hdr"), |_| true).unwrap();
        assert_eq!(e.idempotency_key.as_deref(), Some("hdr"));
    }

    #[test]
    fn unknown_types_and_bad_channels_are_rejected() {
        let err = Event::from_new(&"tn_1".into(), new("a.b"), None, |_| false).unwrap_err();
        assert_eq!(
            (err.code, err.field.as_str()),
            ("unknown_event_type", "type")
        );
        let mut n = new("a.b");
        n.channel = Some("no spaces".into());
        assert_eq!(
            Event::from_new(&"t".into(), n, None, |_| true)
                .unwrap_err()
                .field,
            "channel"
        );
        assert!(Event::from_new(&"t".into(), new("a.b"), Some(""), |_| true).is_err());
    }
}
