//! The checks of a webhook's list and text fields: event filters, channels,
//! free text and static headers, each refused with an error naming the
//! field.
//!
//! Shape and ranges only; the draft's assembly into a spec is the parent's.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::EventFilter;
use crate::ValidationError;

/// Most event-type patterns on one webhook.
const MAX_EVENTS: usize = 100;
/// Most channels on one webhook.
const MAX_CHANNELS: usize = 50;
/// Most custom headers on one webhook.
const MAX_HEADERS: usize = 20;
/// Headers hookwire sets itself; a webhook's static headers may not override them,
/// or a receiver could be handed a forged signature or a wrong body length.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "host",
    "connection",
    "user-agent",
];
/// Header names hookwire sets itself (signatures, ids): a custom header may
/// not shadow them.
const RESERVED_HEADER_PREFIXES: &[&str] = &["webhook-", "x-webhook-"];

/// The event filters: 1–100, each `*`, `prefix.*` or an exact name that
/// must be in the catalog (a typo would otherwise subscribe to nothing,
/// silently); duplicates collapse, first one kept.
pub(super) fn parse_events(
    raw: &[String],
    in_catalog: &impl Fn(&str) -> bool,
) -> Result<Vec<EventFilter>, ValidationError> {
    if raw.is_empty() {
        return Err(ValidationError::field("events", "must not be empty"));
    }
    if raw.len() > MAX_EVENTS {
        return Err(ValidationError::field(
            "events",
            format!("at most {MAX_EVENTS} entries"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let filter = EventFilter::parse(r, "events")?;
        if let EventFilter::Exact(name) = &filter {
            if !in_catalog(name.as_str()) {
                return Err(ValidationError::with_code(
                    "unknown_event_type",
                    "events",
                    format!("event type {r:?} is not in the catalog (GET /api/v1/event-types)"),
                ));
            }
        }
        if seen.insert(filter.to_pattern()) {
            out.push(filter);
        }
    }
    Ok(out)
}

/// Validate a channel name: 1–128 characters of letters, digits and `_-.:`.
pub fn parse_channel(raw: &str, field: &str) -> Result<String, ValidationError> {
    let ok = !raw.is_empty()
        && raw.len() <= 128
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ValidationError::field(
            field,
            format!("{raw:?} is not a valid channel (1-128 letters, digits, _ - . :)"),
        ))
    }
}

/// The channel restriction: at most 50 valid names, sorted and de-duplicated.
pub(super) fn parse_channels(raw: Vec<String>) -> Result<Vec<String>, ValidationError> {
    if raw.len() > MAX_CHANNELS {
        return Err(ValidationError::field(
            "channels",
            format!("at most {MAX_CHANNELS} entries"),
        ));
    }
    let mut set = BTreeSet::new();
    for c in &raw {
        set.insert(parse_channel(c, "channels")?);
    }
    Ok(set.into_iter().collect())
}

/// A free-text field: at most `max` characters and no NUL; blank means
/// absent.
pub(super) fn optional_text(
    field: &str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, ValidationError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ValidationError::field(
            field,
            format!("must be at most {max} characters"),
        )),
        // PostgreSQL's text cannot hold NUL; no one means to send one.
        Some(v) if v.contains('\0') => Err(ValidationError::field(
            field,
            "must not contain NUL characters",
        )),
        Some(v) if v.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// The static headers: at most 20, names valid and lower-cased, none that
/// hookwire sets itself, values visible ASCII of at most 4 KiB.
pub(super) fn check_headers(
    headers: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ValidationError> {
    if headers.len() > MAX_HEADERS {
        return Err(ValidationError::field(
            "headers",
            format!("at most {MAX_HEADERS} headers"),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, value) in headers {
        let field = format!("headers.{name}");
        let parsed = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| ValidationError::field(&field, "is not a valid HTTP header name"))?;
        let lower = parsed.as_str();
        if RESERVED_HEADERS.contains(&lower)
            || RESERVED_HEADER_PREFIXES
                .iter()
                .any(|p| lower.starts_with(p))
        {
            return Err(ValidationError::field(
                &field,
                "is set by hookwire and cannot be overridden",
            ));
        }
        if value.len() > 4096 || http::HeaderValue::from_str(&value).is_err() {
            return Err(ValidationError::field(
                &field,
                "value must be visible ASCII, at most 4096 bytes",
            ));
        }
        out.insert(lower.to_owned(), value);
    }
    Ok(out)
}
