//! Payload filters on arbitrary JSON: parsing never panics, evaluation never
//! panics on any body, and a filter and its `$not` never both match.
#![no_main]

use hookwire::model::{Event, PayloadFilter};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fuzz_target!(|data: &[u8]| {
    // Input: filter JSON \n event data JSON.
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let (Some(filter), Some(body)) = (parts.next(), parts.next()) else {
        return;
    };
    let Ok(filter) = serde_json::from_slice::<Value>(filter) else {
        return;
    };
    let body = serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    let event = Event {
        id: "evt_1".into(),
        tenant_id: "tn_1".into(),
        event_type: "order.paid".into(),
        channel: Some("eu".into()),
        data: body.to_string(),
        idempotency_key: None,
        created_at: chrono::DateTime::UNIX_EPOCH,
        traceparent: None,
        ordering_key: None,
    };
    let Ok(parsed) = PayloadFilter::parse(filter.clone(), "filter") else {
        return;
    };
    let matched = parsed.matches_event(&event, "wh_1");
    // Wrapping may push it over the size or depth limit; then there is nothing to compare.
    if let Ok(not) = PayloadFilter::parse(json!({ "$not": filter }), "filter") {
        assert_ne!(matched, not.matches_event(&event, "wh_1"));
    }
});
