//! Publish → fan-out → signed delivery.

use hmac::{Hmac, Mac};
use hookwire::testing::Backend;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    an_event_reaches_exactly_the_webhooks_whose_filters_and_channels_match,
    every_delivery_is_signed_verifiably,
    an_idempotency_key_dedupes_publishes,
    next_attempt_at_is_a_schedule_never_a_lease,
    publishing_rejects_bad_events_and_stores_nothing,
);

async fn an_event_reaches_exactly_the_webhooks_whose_filters_and_channels_match(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    app.event_types(&["artifact.completed", "artifact.audio.ready", "source.ready"])
        .await;
    let (_, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("other").await;
    let hook = |path: &str, extra: Value| {
        let mut body = json!({ "url": rx.url(path) });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    for (path, extra) in [
        ("/exact", json!({ "events": ["artifact.completed"] })),
        ("/prefix", json!({ "events": ["artifact.*"] })),
        ("/all", json!({ "events": ["*"] })),
        ("/other-type", json!({ "events": ["source.ready"] })),
        ("/inactive", json!({ "events": ["*"], "is_active": false })),
        ("/wf-1", json!({ "events": ["*"], "channels": ["wf-1"] })),
        ("/wf-2", json!({ "events": ["*"], "channels": ["wf-2"] })),
    ] {
        app.webhook(&key, hook(path, extra)).await;
    }
    app.webhook(&other, hook("/other-tenant", json!({ "events": ["*"] })))
        .await;

    let plain = app
        .publish(
            &key,
            json!({ "type": "artifact.completed", "data": { "n": 1 } }),
        )
        .await;
    assert_eq!(plain["deliveries"].as_array().unwrap().len(), 3, "{plain}");
    let on_wf1 = app
        .publish(
            &key,
            json!({ "type": "artifact.audio.ready", "data": {}, "channel": "wf-1" }),
        )
        .await;
    assert_eq!(
        on_wf1["deliveries"].as_array().unwrap().len(),
        3,
        "{on_wf1}"
    );

    assert_eq!(rx.wait_for("/exact", 1).await.len(), 1);
    assert_eq!(rx.wait_for("/prefix", 2).await.len(), 2);
    assert_eq!(rx.wait_for("/all", 2).await.len(), 2);
    assert_eq!(rx.wait_for("/wf-1", 1).await.len(), 1);
    for d in plain["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .chain(on_wf1["deliveries"].as_array().unwrap())
    {
        app.wait_delivery(&key, &str_of(&d["id"]), |d| d["status"] == "delivered")
            .await;
    }
    for quiet in ["/other-type", "/inactive", "/wf-2", "/other-tenant"] {
        assert!(rx.at(quiet).is_empty(), "{quiet} should get nothing");
    }
    let body: Value = serde_json::from_slice(&rx.at("/exact")[0].body).unwrap();
    assert_eq!(body["id"], plain["id"]);
    assert_eq!(body["type"], "artifact.completed");
    assert_eq!(body["data"], json!({ "n": 1 }));
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(str_of(&body["webhook_id"]).starts_with("wh_"));
}

async fn every_delivery_is_signed_verifiably(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let std_hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/std"), "headers": { "x-api-key": "k1" } }),
        )
        .await;
    let raw_hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/raw"), "secret": "plain-text-secret" }),
        )
        .await;
    let event = app
        .publish(
            &key,
            json!({ "type": "webhook.test", "data": { "b": 2, "a": 1 } }),
        )
        .await;

    for (path, hook) in [("/std", &std_hook), ("/raw", &raw_hook)] {
        let got = rx.wait_for(path, 1).await.remove(0);
        let secret = str_of(&hook["secret"]);
        // Standard Webhooks, checked with the reference implementation.
        let verifier = match secret.strip_prefix("whsec_") {
            Some(_) => standardwebhooks::Webhook::new(&secret).unwrap(),
            None => standardwebhooks::Webhook::from_bytes(secret.as_bytes().to_vec()).unwrap(),
        };
        verifier
            .verify(&got.body, &got.headers)
            .expect("standard webhooks signature verifies");
        // The legacy header: sha256=<hex HMAC of the raw body>, computed here.
        let key_bytes = match secret.strip_prefix("whsec_") {
            Some(b64) => base64_decode(b64),
            None => secret.as_bytes().to_vec(),
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key_bytes).unwrap();
        mac.update(&got.body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(got.headers["x-webhook-signature"], expected.as_str());
        assert_eq!(got.headers["webhook-id"], str_of(&event["id"]).as_str());
        assert_eq!(got.headers["x-webhook-event"], "webhook.test");
        assert_eq!(got.headers["x-webhook-attempt"], "1");
        assert!(got.headers["x-webhook-delivery"]
            .to_str()
            .unwrap()
            .starts_with("dlv_"));
        assert_eq!(got.headers["content-type"], "application/json");
        assert!(got.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("hookwire/"));
        // Payload key order is preserved as published.
        assert!(std::str::from_utf8(&got.body)
            .unwrap()
            .ends_with(r#""data":{"b":2,"a":1}}"#));
    }
    assert_eq!(rx.at("/std")[0].headers["x-api-key"], "k1");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

async fn an_idempotency_key_dedupes_publishes(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("other").await;
    app.webhook(&key, json!({ "url": rx.url("/in") })).await;
    let send = |k: &'static str| {
        app.client
            .post(format!("{}/api/v1/events", app.base))
            .bearer_auth(&key)
            .header("idempotency-key", k)
            .json(&json!({ "type": "webhook.test", "data": { "n": 1 } }))
            .send()
    };
    let first = send("order-42").await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.json_ok(202).await;
    let again = send("order-42").await.unwrap();
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = again.json_ok(202).await;
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["deliveries"][0]["id"], first["deliveries"][0]["id"]);
    // The body's `id` works as a key too (the same body in another key order
    // and spacing is the same request); keys are per tenant.
    let by_field = app
        .publish(
            &key,
            json!({ "id": "order-42", "data": { "n": 1 }, "type": "webhook.test" }),
        )
        .await;
    assert_eq!(by_field["id"], first["id"]);
    // The same key with another body is a mistake, not a replay: 409, nothing stored.
    for changed in [
        json!({ "type": "webhook.test", "data": { "n": 2 }, "id": "order-42" }),
        json!({ "type": "webhook.test", "data": { "n": 1 }, "channel": "c", "id": "order-42" }),
    ] {
        let body = app
            .post("/api/v1/events", &key, changed)
            .await
            .error(409, "idempotency_key_reused")
            .await;
        assert!(
            str_of(&body["message"]).contains("different event"),
            "{body}"
        );
    }
    let events = app.get("/api/v1/events", &key).await.json_ok(200).await;
    assert_eq!(events["data"].as_array().unwrap().len(), 1, "{events}");
    let other_tenant = app
        .publish(
            &other,
            json!({ "type": "webhook.test", "data": {}, "id": "order-42" }),
        )
        .await;
    assert_ne!(other_tenant["id"], first["id"]);
    let fresh = send("order-43").await.unwrap().json_ok(202).await;
    assert_ne!(fresh["id"], first["id"]);

    rx.wait_for("/in", 2).await;
    let events = app.get("/api/v1/events", &key).await.json_ok(200).await;
    assert_eq!(events["data"].as_array().unwrap().len(), 2);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(rx.at("/in").len(), 2, "a deduped publish was delivered");
}

async fn publishing_rejects_bad_events_and_stores_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    app.webhook(&key, json!({})).await;
    let cases = [
        (
            json!({ "type": "not.in.catalog", "data": {} }),
            422,
            "unknown_event_type",
        ),
        (
            json!({ "type": "bad type", "data": {} }),
            422,
            "invalid_field",
        ),
        (json!({ "data": {} }), 422, "invalid_field"),
        (json!({ "type": "webhook.test" }), 422, "invalid_field"),
        (
            json!({ "type": "webhook.test", "data": {}, "channel": "a b" }),
            422,
            "invalid_field",
        ),
        (
            json!({ "type": "webhook.test", "data": {}, "extra": 1 }),
            422,
            "invalid_field",
        ),
    ];
    for (body, status, code) in cases {
        app.post("/api/v1/events", &key, body)
            .await
            .error(status, code)
            .await;
    }
    let events = app.get("/api/v1/events", &key).await.json_ok(200).await;
    assert_eq!(events["data"], json!([]));
}

/// A delivery attempted at once shows no `next_attempt_at` while its attempt is
/// in flight (not the lease's end, 90 s on), and the real due time once a
/// failure schedules a retry.
async fn next_attempt_at_is_a_schedule_never_a_lease(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script(
        "/slow",
        vec![
            Answer::Hang(std::time::Duration::from_millis(1500)),
            Answer::Status(200),
        ],
    );
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/slow"), "timeout_seconds": 1,
                "retry": { "initial_delay_ms": 60000, "max_delay_ms": 60000 } }),
    )
    .await;
    let published = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let created = chrono::DateTime::parse_from_rfc3339(&str_of(&published["created_at"])).unwrap();
    let delivery = &published["deliveries"][0];
    // Either attempted at once (null) or queued, due at its publication.
    match &delivery["next_attempt_at"] {
        Value::Null => {}
        due => {
            let due = chrono::DateTime::parse_from_rfc3339(&str_of(due)).unwrap();
            assert!(due <= created, "due {due} after publication {created}");
        }
    }
    let id = str_of(&delivery["id"]);
    rx.wait_for("/slow", 1).await;
    let in_flight = app
        .get(&format!("/api/v1/deliveries/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(in_flight["attempt_count"], 0, "{in_flight}");
    assert_eq!(in_flight["next_attempt_at"], Value::Null, "{in_flight}");
    // The attempt times out: a retry is scheduled a minute (±20 %) on.
    let retrying = app
        .wait_delivery(&key, &id, |d| d["status"] == "retrying")
        .await;
    let due = chrono::DateTime::parse_from_rfc3339(&str_of(&retrying["next_attempt_at"])).unwrap();
    let wait = due - created;
    assert!(
        wait >= chrono::TimeDelta::seconds(47) && wait <= chrono::TimeDelta::seconds(75),
        "{retrying}"
    );
}
