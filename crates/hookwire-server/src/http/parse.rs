//! Serde helpers for request values whose stock parse errors would not tell a
//! client what to send ("input contains invalid characters", "invalid digit found
//! in string"). Each names the form it expects and echoes the value it got; the
//! extractors in [`super::extract`] add the field's name.
//!
//! Used with `#[serde(default, deserialize_with = "…")]`, so the field keeps its
//! real type (and the OpenAPI document its real schema).

use chrono::{DateTime, Utc};
use serde::{de, Deserialize, Deserializer};

/// An RFC 3339 time, e.g. `2026-01-01T00:00:00Z`.
pub fn rfc3339<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    parse_rfc3339(&text).map_err(de::Error::custom)
}

/// An optional [`rfc3339`] time.
pub fn rfc3339_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| parse_rfc3339(&text))
        .transpose()
        .map_err(de::Error::custom)
}

/// An optional page size: a whole number (the range is checked by
/// `PageRequest::parse`, which names the same bounds).
pub fn limit_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|text| {
            text.trim().parse::<u32>().map_err(|_| {
                format!(
                    "expected a whole number from 1 to {}, got `{text}`",
                    hookwire::page::MAX_LIMIT
                )
            })
        })
        .transpose()
        .map_err(de::Error::custom)
}

fn parse_rfc3339(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| {
            format!("expected an RFC 3339 time such as 2026-01-01T00:00:00Z, got `{text}`")
        })
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Q {
        #[serde(default, deserialize_with = "super::rfc3339_opt")]
        since: Option<chrono::DateTime<chrono::Utc>>,
        #[serde(default, deserialize_with = "super::limit_opt")]
        limit: Option<u32>,
    }

    #[test]
    fn values_parse_and_errors_name_the_expected_form() {
        let q: Q = serde_urlencoded::from_str("since=2026-01-02T03:04:05%2B01:00&limit=7").unwrap();
        assert_eq!(q.since.unwrap().to_rfc3339(), "2026-01-02T02:04:05+00:00");
        assert_eq!(q.limit, Some(7));
        let q: Q = serde_urlencoded::from_str("").unwrap();
        assert!(q.since.is_none() && q.limit.is_none());
        let Err(e) = serde_urlencoded::from_str::<Q>("since=yesterday") else {
            panic!("accepted")
        };
        assert!(e.to_string().contains("RFC 3339 time such as"), "{e}");
        assert!(e.to_string().contains("`yesterday`"), "{e}");
        let Err(e) = serde_urlencoded::from_str::<Q>("limit=1.5") else {
            panic!("accepted")
        };
        assert!(e.to_string().contains("whole number from 1 to 250"), "{e}");
    }
}
