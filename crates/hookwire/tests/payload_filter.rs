//! The payload filter's public contract: what a filter admits, what it
//! rejects at parse time (naming the field), and that no input makes it
//! panic (property tests).

use proptest::prelude::*;
use serde_json::json;

use hookwire::model::{Event, PayloadFilter};
use serde_json::Value;

/// The documented limits (README, "Payload filters"): most segments in one
/// path, deepest nesting of `$and`, `$or` and `$not`.
const MAX_SEGMENTS: usize = 32;
const MAX_DEPTH: usize = 16;

fn event(data: Value, channel: Option<&str>) -> Event {
    Event {
        id: "evt_1".into(),
        tenant_id: "tn_1".into(),
        event_type: "order.paid".into(),
        channel: channel.map(str::to_owned),
        data: data.to_string(),
        idempotency_key: None,
        created_at: chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default(),
        traceparent: None,
        ordering_key: None,
    }
}

fn matches(filter: Value, data: Value) -> bool {
    let f = PayloadFilter::parse(filter, "filter").expect("valid filter");
    f.matches_event(&event(data, Some("eu")), "wh_1")
}

fn error(filter: Value) -> String {
    PayloadFilter::parse(filter, "filter")
        .expect_err("invalid filter")
        .field
}

#[test]
fn literals_and_operators_match_the_delivered_body() {
    let order =
        json!({"amount": 4200, "customer": {"country": "DE", "tags": ["vip"]}, "note": null});
    assert!(matches(json!({"data.amount": 4200}), order.clone()));
    assert!(
        matches(json!({"data.amount": 4200.0}), order.clone()),
        "numbers by value"
    );
    assert!(!matches(json!({"data.amount": "4200"}), order.clone()));
    assert!(matches(
        json!({"data.customer.country": {"$in": ["DE", "AT"]}}),
        order.clone()
    ));
    assert!(matches(
        json!({"data.customer.country": {"$nin": ["FR"]}}),
        order.clone()
    ));
    assert!(matches(
        json!({"data.amount": {"$gt": 100, "$lte": 4200}}),
        order.clone()
    ));
    assert!(!matches(
        json!({"data.amount": {"$lt": 4200}}),
        order.clone()
    ));
    assert!(
        matches(json!({"data.customer.tags.0": "vip"}), order.clone()),
        "array index"
    );
    assert!(
        matches(json!({"data.customer.tags": ["vip"]}), order.clone()),
        "whole array"
    );
    assert!(matches(
        json!({"data.customer": {"$eq": {"tags": ["vip"], "country": "DE"}}}),
        order.clone()
    ));
    assert!(
        matches(json!({"data.note": null}), order.clone()),
        "a present null"
    );
    assert!(
        !matches(json!({"data.missing": null}), order.clone()),
        "missing is not null"
    );
    assert!(matches(json!({"data.missing": {"$ne": 1}}), order.clone()));
    assert!(matches(
        json!({"data.missing": {"$exists": false}}),
        order.clone()
    ));
    assert!(matches(
        json!({"data.note": {"$exists": true}}),
        order.clone()
    ));
    assert!(matches(
        json!({"type": {"$startsWith": "order."}}),
        order.clone()
    ));
    assert!(matches(
        json!({"channel": "eu", "id": "evt_1", "webhook_id": "wh_1"}),
        order.clone()
    ));
    assert!(matches(
        json!({"timestamp": {"$gte": "2023-11-14T00:00:00.000Z", "$lt": "2023-11-15"}}),
        order.clone()
    ));
    assert!(
        !matches(json!({"data.amount": {"$gt": "100"}}), order.clone()),
        "number vs string"
    );
    assert!(!matches(
        json!({"data.amount": {"$startsWith": "42"}}),
        order.clone()
    ));
}

#[test]
fn and_or_not_combine() {
    let order = json!({"amount": 50, "country": "DE", "vip": true});
    let f =
        json!({"data.amount": {"$gte": 100}, "$or": [{"data.country": "FR"}, {"data.vip": true}]});
    assert!(!matches(f, order.clone()), "every key must hold");
    let f = json!({"$or": [{"data.amount": {"$gte": 100}}, {"data.vip": true}]});
    assert!(matches(f, order.clone()));
    let f = json!({"$and": [{"data.country": "DE"}, {"$not": {"data.vip": false}}]});
    assert!(matches(f, order.clone()));
    let f = json!({"data.amount": {"$not": {"$in": [50, 60]}}});
    assert!(!matches(f, order.clone()));
    assert!(
        matches(json!({}), order),
        "an empty filter matches everything"
    );
}

#[test]
fn a_bad_filter_is_refused_naming_the_offending_path() {
    assert_eq!(error(json!([1])), "filter");
    assert_eq!(
        error(json!({"data.amount": {"$gtt": 1}})),
        "filter.data.amount.$gtt"
    );
    assert_eq!(
        error(json!({"data.amount": {"$gt": true}})),
        "filter.data.amount.$gt"
    );
    assert_eq!(error(json!({"data.a": {"$in": 3}})), "filter.data.a.$in");
    assert_eq!(
        error(json!({"data.a": {"$exists": "yes"}})),
        "filter.data.a.$exists"
    );
    assert_eq!(
        error(json!({"data.a": {"$startsWith": 1}})),
        "filter.data.a.$startsWith"
    );
    assert_eq!(
        error(json!({"data.a": {"$eq": 1, "b": 2}})),
        "filter.data.a"
    );
    assert_eq!(error(json!({"$or": []})), "filter.$or");
    assert_eq!(error(json!({"$or": [{"data.a": 1}, 2]})), "filter.$or[1]");
    assert_eq!(
        error(json!({"$and": [{"data.a": {"$lt": []}}]})),
        "filter.$and[0].data.a.$lt"
    );
    assert_eq!(error(json!({"$nor": []})), "filter.$nor");
    assert_eq!(error(json!({"body.amount": 1})), "filter.body.amount");
    assert_eq!(error(json!({"type.name": 1})), "filter.type.name");
    assert_eq!(error(json!({"data..a": 1})), "filter.data..a");
    let long = format!("data{}", ".a".repeat(MAX_SEGMENTS));
    assert_eq!(error(json!({ long.clone(): 1 })), format!("filter.{long}"));
    let ok = format!("data{}", ".a".repeat(MAX_SEGMENTS - 1));
    assert!(PayloadFilter::parse(json!({ ok: 1 }), "filter").is_ok());
    let big = json!({"data.a": {"$in": vec!["x".repeat(100); 41]}});
    assert_eq!(error(big), "filter", "over 4 KiB");
    let mut deep = json!({"data.a": 1});
    for _ in 0..=MAX_DEPTH {
        deep = json!({ "$not": deep });
    }
    assert!(error(deep).starts_with("filter.$not.$not"));
}

#[test]
fn a_filter_keeps_the_json_it_was_given() {
    let source = json!({"data.b": 1, "data.a": {"$in": [1, 2]}});
    let f = PayloadFilter::parse(source.clone(), "filter").expect("valid");
    assert_eq!(f.as_json(), &source);
    assert_eq!(
        f.as_json().to_string(),
        r#"{"data.b":1,"data.a":{"$in":[1,2]}}"#
    );
}

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-5i64..5).prop_map(Value::from),
        (-5.0f64..5.0).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-c]", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A valid filter over the paths `data.a`, `data.b`, `data.a.b`.
fn any_filter() -> impl Strategy<Value = Value> {
    let path = prop_oneof![
        Just("data.a"),
        Just("data.b"),
        Just("data.a.b"),
        Just("data.c.0")
    ];
    let scalar = prop_oneof![
        (-5i64..5).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::from),
    ];
    let test = prop_oneof![
        any_json(),
        any_json().prop_map(|v| json!({ "$eq": v })),
        any_json().prop_map(|v| json!({ "$ne": v })),
        prop::collection::vec(any_json(), 0..3).prop_map(|v| json!({ "$in": v })),
        prop::collection::vec(any_json(), 0..3).prop_map(|v| json!({ "$nin": v })),
        scalar.clone().prop_map(|v| json!({ "$gt": v })),
        scalar.clone().prop_map(|v| json!({ "$gte": v })),
        scalar.clone().prop_map(|v| json!({ "$lt": v })),
        scalar.prop_map(|v| json!({ "$lte": v })),
        any::<bool>().prop_map(|v| json!({ "$exists": v })),
        "[a-c]{0,2}".prop_map(|v| json!({ "$startsWith": v })),
    ];
    let clause = (path, test).prop_map(|(p, t)| json!({ p: t }));
    clause.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({ "$and": v })),
            prop::collection::vec(inner.clone(), 1..3).prop_map(|v| json!({ "$or": v })),
            inner.prop_map(|v| json!({ "$not": v })),
        ]
    })
}

proptest! {
    #[test]
    fn a_filter_and_its_not_never_both_match(filter in any_filter(), data in any_json()) {
        let Ok(f) = PayloadFilter::parse(filter.clone(), "filter") else {
            return Err(TestCaseError::fail(format!("generated filter refused: {filter}")));
        };
        let not = PayloadFilter::parse(json!({ "$not": filter }), "filter")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let e = event(data, None);
        prop_assert_ne!(f.matches_event(&e, "wh_1"), not.matches_event(&e, "wh_1"));
    }

    #[test]
    fn each_negating_operator_is_the_exact_opposite(v in any_json(), list in prop::collection::vec(any_json(), 0..3), data in any_json()) {
        let e = event(json!({ "a": data }), None);
        let pairs = [
            (json!({"data.a": {"$eq": v}}), json!({"data.a": {"$ne": v}})),
            (json!({"data.a": {"$in": list}}), json!({"data.a": {"$nin": list}})),
            (json!({"data.a": {"$exists": true}}), json!({"data.a": {"$exists": false}})),
        ];
        for (yes, no) in pairs {
            let (yes, no) = (PayloadFilter::parse(yes, "filter"), PayloadFilter::parse(no, "filter"));
            let (Ok(yes), Ok(no)) = (yes, no) else {
                return Err(TestCaseError::fail("generated filter refused"));
            };
            prop_assert_ne!(yes.matches_event(&e, "wh_1"), no.matches_event(&e, "wh_1"));
        }
    }

    #[test]
    fn parsing_and_evaluating_any_json_never_panics(filter in any_json(), data in any_json()) {
        if let Ok(f) = PayloadFilter::parse(filter, "filter") {
            let _ = f.matches_event(&event(data, Some("c")), "wh_1");
        }
    }
}
