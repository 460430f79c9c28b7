//! The event-type catalog and webhook event filters.
//!
//! It owns the names' grammar and the matching rule; the catalog's rows are the
//! store's and its cache is [`crate::service`]'s.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// Longest event-type name: long enough for deep dotted names, short enough for
/// an index key.
const MAX_NAME_LEN: usize = 128;

/// A catalog entry: a dotted event name and what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventType {
    /// Dotted name, e.g. `artifact.completed`.
    pub name: String,
    /// What the event means, for the people wiring up receivers.
    #[serde(default)]
    pub description: String,
}

impl EventType {
    /// The type every catalog has: what `POST /webhooks/{id}/test` sends.
    pub const TEST: &'static str = "webhook.test";

    /// A validated catalog entry.
    pub fn new(name: &str, description: &str) -> Result<Self, ValidationError> {
        let name = EventTypeName::parse(name, "name")?;
        if description.chars().count() > 1000 {
            return Err(ValidationError::field(
                "description",
                "must be at most 1000 characters",
            ));
        }
        Ok(Self {
            name: name.0,
            description: description.to_owned(),
        })
    }
}

/// A dotted event name: segments of letters, digits, `_` and `-`, joined by `.`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventTypeName(String);

impl EventTypeName {
    /// Validate `raw` as an event name; `field` names it in the error.
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationError> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_NAME_LEN
            && raw.split('.').all(|seg| {
                !seg.is_empty()
                    && seg
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            });
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::field(
                field,
                format!("{raw:?} is not a valid event type name (dotted segments of letters, digits, _ or -, at most {MAX_NAME_LEN} characters)"),
            ))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every filter pattern that matches this name: itself, `*`, and `a.*`,
    /// `a.b.*`… for each dotted prefix. Lets the store find subscribed webhooks with
    /// an indexable set-overlap query instead of pattern matching per row.
    pub fn matching_filters(&self) -> Vec<String> {
        let mut out = vec![self.0.clone(), "*".to_owned()];
        for (i, _) in self.0.match_indices('.') {
            out.push(format!("{}.*", &self.0[..i]));
        }
        out
    }
}

/// One entry of a webhook's `events` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventFilter {
    /// Every event type.
    All,
    /// Types under a prefix: `artifact.*` matches `artifact.completed` and
    /// `artifact.audio.ready`, not `artifact`.
    Prefix(String),
    /// One type.
    Exact(EventTypeName),
}

impl EventFilter {
    /// Parse `*`, `prefix.*` or an exact name.
    pub fn parse(raw: &str, field: &str) -> Result<Self, ValidationError> {
        if raw == "*" {
            return Ok(Self::All);
        }
        if let Some(prefix) = raw.strip_suffix(".*") {
            let prefix = EventTypeName::parse(prefix, field)?;
            return Ok(Self::Prefix(prefix.0));
        }
        EventTypeName::parse(raw, field).map(Self::Exact)
    }

    /// Whether an event of type `name` passes this filter.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::All => true,
            Self::Prefix(p) => {
                name.len() > p.len() + 1
                    && name.starts_with(p.as_str())
                    && name.as_bytes()[p.len()] == b'.'
            }
            Self::Exact(n) => n.as_str() == name,
        }
    }

    /// The filter as stored and shown.
    pub fn to_pattern(&self) -> String {
        match self {
            Self::All => "*".to_owned(),
            Self::Prefix(p) => format!("{p}.*"),
            Self::Exact(n) => n.0.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_exact_prefix_and_all() {
        let f = |s: &str| EventFilter::parse(s, "events").unwrap();
        assert!(f("*").matches("anything.at.all"));
        assert!(f("artifact.*").matches("artifact.completed"));
        assert!(f("artifact.*").matches("artifact.audio.ready"));
        assert!(!f("artifact.*").matches("artifact"));
        assert!(!f("artifact.*").matches("artifacts.completed"));
        assert!(f("source.ready").matches("source.ready"));
        assert!(!f("source.ready").matches("source.readyx"));
        assert!(EventFilter::parse("a..b", "events").is_err());
        assert!(EventFilter::parse("*.a", "events").is_err());
        assert!(EventFilter::parse("", "events").is_err());
    }

    #[test]
    fn matching_filters_agree_with_matches() {
        let name = EventTypeName::parse("a.b.c", "type").unwrap();
        let patterns = name.matching_filters();
        assert_eq!(patterns, vec!["a.b.c", "*", "a.*", "a.b.*"]);
        for p in &patterns {
            assert!(EventFilter::parse(p, "events").unwrap().matches("a.b.c"));
        }
    }
}
