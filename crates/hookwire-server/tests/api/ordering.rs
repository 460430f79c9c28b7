//! FIFO ordering: on a webhook with `ordering: "fifo"`, deliveries with the
//! same event `ordering_key` are attempted one at a time in publish order,
//! through failures and retries; keys are independent; a failed head frees
//! its key; bad keys and a switch with deliveries in flight are refused.

use std::collections::HashMap;

use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    each_key_is_delivered_in_publish_order_through_failures,
    a_failed_head_frees_its_key,
    bad_keys_and_a_switch_with_deliveries_in_flight_are_refused,
);

/// Per key, the `seq` of each request received at `path`, in arrival order,
/// with whether the receiver answered it with a 2xx (`answers` is the
/// script the receiver consumed in arrival order; past it, 200).
fn receipts_by_key(
    rx: &Receiver,
    path: &str,
    answers: &[Answer],
) -> HashMap<String, Vec<(u64, bool)>> {
    let mut by_key: HashMap<String, Vec<(u64, bool)>> = HashMap::new();
    for (i, r) in rx.at(path).iter().enumerate() {
        let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
        let ok = !matches!(answers.get(i), Some(Answer::Status(s)) if *s >= 300);
        by_key
            .entry(str_of(&body["data"]["key"]))
            .or_default()
            .push((body["data"]["seq"].as_u64().expect("seq"), ok));
    }
    by_key
}

async fn each_key_is_delivered_in_publish_order_through_failures(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    // Every third request fails, whichever key it belongs to.
    let answers: Vec<Answer> = (0..45)
        .map(|i| Answer::Status(if i % 3 == 1 { 500 } else { 200 }))
        .collect();
    let failures = answers
        .iter()
        .filter(|a| matches!(a, Answer::Status(500)))
        .count();
    rx.script("/fifo", answers.clone());
    let (_, key) = app.tenant("acme").await;
    let w = app
        .webhook(
            &key,
            json!({ "url": rx.url("/fifo"), "ordering": "fifo",
                    "retry": { "initial_delay_ms": 20, "max_delay_ms": 100, "max_attempts": 20 } }),
        )
        .await;
    assert_eq!(w["ordering"], "fifo");
    let (keys, per_key) = (5, 12);
    for seq in 0..per_key {
        for k in 0..keys {
            app.publish(
                &key,
                json!({ "type": "webhook.test", "ordering_key": format!("k{k}"),
                        "data": { "key": format!("k{k}"), "seq": seq } }),
            )
            .await;
        }
    }
    rx.wait_for("/fifo", keys * per_key as usize + failures)
        .await;
    let by_key = receipts_by_key(&rx, "/fifo", &answers);
    assert_eq!(by_key.len(), keys);
    for (k, receipts) in &by_key {
        // Each event is received only once the one before it was answered
        // with a 2xx, and every event eventually is.
        let mut next = 0u64;
        for &(seq, ok) in receipts {
            assert_eq!(seq, next, "key {k}: {receipts:?}");
            if ok {
                next += 1;
            }
        }
        assert_eq!(next, per_key, "key {k}: every event delivered");
    }
}

async fn a_failed_head_frees_its_key(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/fifo", vec![Answer::Status(500)]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/fifo"), "ordering": "fifo", "retry": { "max_attempts": 1 } }),
    )
    .await;
    // No ordering key: the events share one line.
    let first = app
        .publish(
            &key,
            json!({ "type": "webhook.test", "data": { "key": "", "seq": 0 } }),
        )
        .await;
    let second = app
        .publish(
            &key,
            json!({ "type": "webhook.test", "data": { "key": "", "seq": 1 } }),
        )
        .await;
    let failed = app
        .wait_delivery(&key, &str_of(&first["deliveries"][0]["id"]), |d| {
            d["status"] == "failed"
        })
        .await;
    assert_eq!(failed["attempt_count"], 1);
    app.wait_delivery(&key, &str_of(&second["deliveries"][0]["id"]), |d| {
        d["status"] == "delivered"
    })
    .await;
    let seqs: Vec<(u64, bool)> = receipts_by_key(&rx, "/fifo", &[Answer::Status(500)])[""].clone();
    assert_eq!(seqs, vec![(0, false), (1, true)]);
}

async fn bad_keys_and_a_switch_with_deliveries_in_flight_are_refused(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/slow", vec![Answer::Status(500)]);
    let (_, key) = app.tenant("acme").await;
    for bad in [String::new(), "k".repeat(129), "a\nb".to_owned()] {
        let err = app
            .post(
                "/api/v1/events",
                &key,
                json!({ "type": "webhook.test", "data": {}, "ordering_key": bad }),
            )
            .await
            .error(422, "invalid_field")
            .await;
        assert_eq!(err["field"], "ordering_key", "{err}");
    }
    let ok = app
        .publish(
            &key,
            json!({ "type": "webhook.test", "data": {}, "ordering_key": "k".repeat(128) }),
        )
        .await;
    let read = app
        .get(&format!("/api/v1/events/{}", str_of(&ok["id"])), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(read["ordering_key"], "k".repeat(128));
    let events = app.get("/api/v1/events", &key).await.json_ok(200).await;
    assert_eq!(
        events["data"].as_array().map(Vec::len),
        Some(1),
        "the bad ones left nothing"
    );

    let err = app
        .post(
            "/api/v1/webhooks",
            &key,
            json!({ "url": rx.url("/slow"), "events": ["*"], "ordering": "lifo" }),
        )
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(err["field"], "ordering", "{err}");

    // A delivery waiting for its retry: the ordering cannot change under it.
    let w = app
        .webhook(
            &key,
            json!({ "url": rx.url("/slow"), "retry": { "initial_delay_ms": 3_600_000 } }),
        )
        .await;
    assert_eq!(w["ordering"], "none", "the default");
    let path = format!("/api/v1/webhooks/{}", str_of(&w["id"]));
    let published = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let delivery = str_of(&published["deliveries"][0]["id"]);
    app.wait_delivery(&key, &delivery, |d| d["status"] == "retrying")
        .await;
    let err = app
        .patch(&path, &key, json!({ "ordering": "fifo", "name": "x" }))
        .await
        .error(409, "conflict")
        .await;
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("ordering")),
        "{err}"
    );
    let read = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(
        (read["ordering"].clone(), read["name"].clone()),
        (json!("none"), Value::Null)
    );

    // Once its deliveries are done, the switch goes through.
    app.post(
        &format!("/api/v1/deliveries/{delivery}/retry"),
        &key,
        json!({}),
    )
    .await
    .json_ok(202)
    .await;
    app.wait_delivery(&key, &delivery, |d| d["status"] == "delivered")
        .await;
    let switched = app
        .patch(&path, &key, json!({ "ordering": "fifo" }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(switched["ordering"], "fifo");
}
