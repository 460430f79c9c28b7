//! A webhook's `rate_limit_per_second`: set, changed and cleared through the
//! API, and kept by the deliveries a receiver gets.

use std::time::Duration;

use hookwire::store::SendSlot;
use hookwire::testing::Backend;
use serde_json::json;

use serde_json::Value;

use crate::helpers::{metric_sum, scrape, spawn_app, str_of, ResponseExt, TestApp};
use crate::receiver::Receiver;

hookwire::backend_tests!(
    a_webhook_rate_limit_is_set_changed_and_cleared,
    a_rate_limited_webhook_gets_its_deliveries_spaced_out,
    a_delivery_whose_slot_is_far_off_goes_back_to_the_queue_unattempted,
    test_sends_count_against_the_rate_limit,
);

async fn a_webhook_rate_limit_is_set_changed_and_cleared(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let plain = app.webhook(&key, json!({})).await;
    assert_eq!(
        plain["rate_limit_per_second"],
        json!(null),
        "no limit by default"
    );

    let w = app
        .webhook(&key, json!({ "rate_limit_per_second": 5 }))
        .await;
    let path = format!("/api/v1/webhooks/{}", str_of(&w["id"]));
    assert_eq!(w["rate_limit_per_second"], 5);
    let got = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(got["rate_limit_per_second"], 5);

    let changed = app
        .patch(&path, &key, json!({ "rate_limit_per_second": 50 }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(changed["rate_limit_per_second"], 50);
    let renamed = app
        .patch(&path, &key, json!({ "name": "other field" }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(
        renamed["rate_limit_per_second"], 50,
        "kept by a PATCH of another field"
    );

    for bad in [0, 10_001] {
        let body = app
            .patch(&path, &key, json!({ "rate_limit_per_second": bad }))
            .await
            .error(422, "invalid_field")
            .await;
        assert_eq!(body["field"], "rate_limit_per_second", "{bad}");
    }
    let got = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(
        got["rate_limit_per_second"], 50,
        "a rejected change changes nothing"
    );

    let cleared = app
        .patch(&path, &key, json!({ "rate_limit_per_second": null }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(cleared["rate_limit_per_second"], json!(null));
}

/// Ten deliveries at 10 per second: the receiver gets the first at once and
/// the others one slot (100 ms) apart, so the ten span at least 0.9 s — while
/// without the limit they would arrive together (concurrency cap 10).
async fn a_rate_limited_webhook_gets_its_deliveries_spaced_out(b: Backend) {
    let Some((app, rx, key, _)) = limited(b, "/slow-down", 10).await else {
        return;
    };
    for i in 0..10 {
        app.publish(&key, json!({ "type": "webhook.test", "data": { "i": i } }))
            .await;
    }
    let got = rx.wait_for("/slow-down", 10).await;
    let mut at: Vec<_> = got.iter().map(|r| r.at).collect();
    at.sort();
    let span = at[9] - at[0];
    assert!(
        span >= Duration::from_millis(850),
        "ten deliveries in {span:?}"
    );
    // No two closer than a slot allows (some slack for scheduling).
    let closest = at.windows(2).map(|w| w[1] - w[0]).min().unwrap_or_default();
    assert!(
        closest >= Duration::from_millis(60),
        "two deliveries {closest:?} apart"
    );
}

/// Other nodes have taken the next 30 s of a 1-per-second webhook's slots: a
/// fresh delivery is not held for 30 s (it would outlive its lease with a
/// slow answer) but put back in the queue, due at the first free slot, with
/// no attempt made.
async fn a_delivery_whose_slot_is_far_off_goes_back_to_the_queue_unattempted(b: Backend) {
    let Some((app, rx, key, w)) = limited(b, "/busy", 1).await else {
        return;
    };
    let store = app.hookwire.store();
    let now = hookwire::clock::now();
    let mut last = None;
    for _ in 0..30 {
        last = Some(
            store
                .take_send_slot(&str_of(&w["id"]), 1_000_000, now, None)
                .await
                .unwrap(),
        );
    }
    let Some(SendSlot::At(last)) = last else {
        panic!("slots were granted");
    };
    let free = last + chrono::TimeDelta::seconds(1);

    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let id = str_of(&event["deliveries"][0]["id"]);
    let d = app
        .wait_delivery(&key, &id, |d| {
            // Due at the free slot — not at the end of a lease (90 s away),
            // which is where a delivery held by a worker would show.
            let due = d["next_attempt_at"]
                .as_str()
                .map(chrono::DateTime::parse_from_rfc3339);
            due.is_some_and(|t| {
                t.is_ok_and(|t| {
                    t >= free - chrono::TimeDelta::milliseconds(1)
                        && t <= free + chrono::TimeDelta::seconds(2)
                })
            })
        })
        .await;
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempt_count"], 0);
    assert_eq!(d["attempts"], json!([]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(rx.at("/busy").is_empty(), "nothing was sent");
    let metrics = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let requeues = metric_sum(
        &scrape(&metrics),
        "hookwire_rate_limited_requeues_total",
        "",
    );
    assert!(requeues >= 1.0, "requeue counted: {requeues}");
}

async fn test_sends_count_against_the_rate_limit(b: Backend) {
    let Some((app, rx, key, w)) = limited(b, "/tests", 2).await else {
        return;
    };
    let path = format!("/api/v1/webhooks/{}/test", str_of(&w["id"]));
    let started = std::time::Instant::now();
    for _ in 0..3 {
        let sent = app.post(&path, &key, json!({})).await.json_ok(200).await;
        assert_eq!(sent["status"], "delivered");
    }
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900),
        "three tests at 2/s took {took:?}"
    );
    assert_eq!(rx.at("/tests").len(), 3);
}

/// A running app with a receiver, and tenant "acme"'s key and one webhook to
/// the receiver's `path` at `rate` requests per second; `None` = skip.
async fn limited(b: Backend, path: &str, rate: u32) -> Option<(TestApp, Receiver, String, Value)> {
    let app = spawn_app(b).await?;
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let w = app
        .webhook(
            &key,
            json!({ "url": rx.url(path), "rate_limit_per_second": rate }),
        )
        .await;
    Some((app, rx, key, w))
}
