//! Replay: a stored event delivered again, now, to every matching webhook or
//! to one, signed with today's secret and with the same `webhook-id`.

use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::receiver::Receiver;

hookwire::backend_tests!(
    a_replay_delivers_the_stored_event_again_signed_with_todays_secret,
    a_replay_names_what_it_cannot_do,
);

async fn a_replay_delivers_the_stored_event_again_signed_with_todays_secret(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let first = app.webhook(&key, json!({ "url": rx.url("/one") })).await;
    let second = app.webhook(&key, json!({ "url": rx.url("/two") })).await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": { "n": 7 } }))
        .await;
    let event_id = str_of(&event["id"]);
    rx.wait_for("/one", 1).await;
    rx.wait_for("/two", 1).await;

    // The first webhook's secret is rotated: the replay is signed with the new one.
    let rotated = app
        .post(
            &format!("/api/v1/webhooks/{}/rotate-secret", str_of(&first["id"])),
            &key,
            json!({}),
        )
        .await
        .json_ok(200)
        .await;
    let replay = format!("/api/v1/events/{event_id}/replay");
    let all = app.post(&replay, &key, json!({})).await.json_ok(202).await;
    let deliveries = all["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 2);
    let originals: Vec<Value> = event["deliveries"].as_array().unwrap().clone();
    for d in deliveries {
        assert_eq!(d["event_id"], event["id"]);
        assert!(
            originals.iter().all(|o| o["id"] != d["id"]),
            "a new delivery"
        );
    }
    let got = rx.wait_for("/one", 2).await;
    let again = &got[1];
    assert_eq!(again.headers["webhook-id"].to_str().unwrap(), event_id);
    assert_eq!(again.body, got[0].body, "the same body, byte for byte");
    let secret = str_of(&rotated["secret"]);
    standardwebhooks::Webhook::new(&secret)
        .unwrap()
        .verify(&again.body, &again.headers)
        .expect("signed with today's secret");
    rx.wait_for("/two", 2).await;

    // To one webhook only; no body at all works like `{}`.
    let one = app
        .post(&replay, &key, json!({ "webhook_id": second["id"] }))
        .await
        .json_ok(202)
        .await;
    assert_eq!(one["deliveries"].as_array().unwrap().len(), 1);
    assert_eq!(one["deliveries"][0]["webhook_id"], second["id"]);
    rx.wait_for("/two", 3).await;
    let bare = app
        .request(reqwest::Method::POST, &replay, Some(&key), None)
        .await
        .json_ok(202)
        .await;
    assert_eq!(bare["deliveries"].as_array().unwrap().len(), 2);
    rx.wait_for("/one", 3).await;
    rx.wait_for("/two", 4).await;
    // The event's history lists every delivery.
    let detail = app
        .get(&format!("/api/v1/events/{event_id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(detail["deliveries"].as_array().unwrap().len(), 7);
}

async fn a_replay_names_what_it_cannot_do(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("globex").await;
    let hook = app.webhook(&key, json!({ "events": ["order.*"] })).await;
    app.event_types(&["order.paid", "user.created"]).await;
    let event = app
        .publish(&key, json!({ "type": "user.created", "data": {} }))
        .await;
    let replay = format!("/api/v1/events/{}/replay", str_of(&event["id"]));
    let status = |r: reqwest::Response| r.status().as_u16();
    // Not found: an unknown event, another tenant's event, an unknown webhook.
    assert_eq!(
        status(
            app.post("/api/v1/events/evt_x/replay", &key, json!({}))
                .await
        ),
        404
    );
    assert_eq!(status(app.post(&replay, &other, json!({})).await), 404);
    assert_eq!(
        status(
            app.post(&replay, &key, json!({ "webhook_id": "wh_x" }))
                .await
        ),
        404
    );
    // A webhook that does not subscribe to the event's type.
    let refused = app
        .post(&replay, &key, json!({ "webhook_id": hook["id"] }))
        .await;
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["field"], "webhook_id");
    // Nothing matches: nothing to do, and nothing created.
    let none = app.post(&replay, &key, json!({})).await.json_ok(202).await;
    assert_eq!(none["deliveries"], json!([]));
    let bad = app.post(&replay, &key, json!({ "webhook": "wh_x" })).await;
    assert_eq!(bad.status(), 422);
}
