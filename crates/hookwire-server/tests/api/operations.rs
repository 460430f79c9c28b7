//! Test send, secret rotation, redeliver, recover, and cancellation by delete.

use std::time::Duration;

use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    a_test_send_delivers_once_and_reports_the_result,
    after_rotation_both_secrets_sign_for_a_grace_period,
    a_delivery_can_be_retried_and_failed_ones_recovered,
    deleting_a_webhook_cancels_its_pending_deliveries,
    history_lists_a_webhooks_deliveries_by_status,
    another_tenants_events_and_deliveries_are_404,
);

async fn a_test_send_delivers_once_and_reports_the_result(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/t", vec![Answer::Status(500)]);
    let (_, key) = app.tenant("acme").await;
    let hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/t"), "events": ["webhook.test"] }),
        )
        .await;
    let path = format!("/api/v1/webhooks/{}/test", str_of(&hook["id"]));

    let failed = app.post(&path, &key, json!({})).await.json_ok(200).await;
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["http_status"], 500);
    assert_eq!(failed["response_body"], "ok");
    let ok = app.post(&path, &key, json!({})).await.json_ok(200).await;
    assert_eq!(ok["status"], "delivered");
    assert_eq!(ok["http_status"], 200);
    assert_eq!(ok["error"], json!(null));
    assert!(ok["duration_ms"].is_u64());

    // One attempt each, no retry of the failed one, both in the history.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = rx.at("/t");
    assert_eq!(got.len(), 2);
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["type"], "webhook.test");
    let d = app
        .get(
            &format!("/api/v1/deliveries/{}", str_of(&failed["delivery_id"])),
            &key,
        )
        .await;
    let d = d.json_ok(200).await;
    assert_eq!(d["attempts"].as_array().unwrap().len(), 1);
    app.post("/api/v1/webhooks/wh_missing/test", &key, json!({}))
        .await
        .error(404, "not_found")
        .await;
}

async fn after_rotation_both_secrets_sign_for_a_grace_period(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let hook = app.webhook(&key, json!({ "url": rx.url("/r") })).await;
    let old = str_of(&hook["secret"]);
    let path = format!("/api/v1/webhooks/{}/rotate-secret", str_of(&hook["id"]));
    // No body: a secret is generated.
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    let new = str_of(&resp.json_ok(200).await["secret"]);
    assert!(new.starts_with("whsec_") && new != old);

    app.publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let got = rx.wait_for("/r", 1).await.remove(0);
    let sigs = got.headers["webhook-signature"].to_str().unwrap();
    assert_eq!(sigs.split(' ').count(), 2, "{sigs}");
    for secret in [&old, &new] {
        standardwebhooks::Webhook::new(secret)
            .unwrap()
            .verify(&got.body, &got.headers)
            .expect("each secret verifies during the grace period");
    }
    // A chosen secret; bad ones are rejected.
    let chosen = app
        .post(&path, &key, json!({ "secret": "my-chosen-secret" }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(chosen["secret"], "my-chosen-secret");
    app.post(&path, &key, json!({ "secret": "short" }))
        .await
        .error(422, "invalid_field")
        .await;
}

async fn a_delivery_can_be_retried_and_failed_ones_recovered(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/d", vec![Answer::Status(500); 2]);
    let (_, key) = app.tenant("acme").await;
    let hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/d"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    let since = chrono::Utc::now() - chrono::TimeDelta::seconds(5);
    let e1 = app
        .publish(&key, json!({ "type": "webhook.test", "data": { "n": 1 } }))
        .await;
    let e2 = app
        .publish(&key, json!({ "type": "webhook.test", "data": { "n": 2 } }))
        .await;
    let d1 = str_of(&e1["deliveries"][0]["id"]);
    let d2 = str_of(&e2["deliveries"][0]["id"]);
    for d in [&d1, &d2] {
        app.wait_delivery(&key, d, |d| d["status"] == "failed")
            .await;
    }
    // Recover: every failed delivery since `since` gets one more attempt.
    let recover = format!("/api/v1/webhooks/{}/recover", str_of(&hook["id"]));
    let r = app
        .post(&recover, &key, json!({ "since": since.to_rfc3339() }))
        .await
        .json_ok(200)
        .await;
    assert_eq!(r["requeued"], 2);
    for d in [&d1, &d2] {
        let d = app
            .wait_delivery(&key, d, |d| d["status"] == "delivered")
            .await;
        assert_eq!(d["attempt_count"], 2);
    }
    app.post(&recover, &key, json!({ "since": "yesterday" }))
        .await
        .error(422, "invalid_field")
        .await;

    // Retry (redeliver) a delivered one: same webhook-id, next attempt number.
    let resp = app
        .post(&format!("/api/v1/deliveries/{d1}/retry"), &key, json!({}))
        .await;
    assert_eq!(resp.status(), 202);
    let d = app
        .wait_delivery(&key, &d1, |d| {
            d["attempt_count"] == 3 && d["status"] == "delivered"
        })
        .await;
    assert_eq!(d["attempts"].as_array().unwrap().len(), 3);
    let got = rx.wait_for("/d", 5).await;
    let for_e1: Vec<_> = got
        .iter()
        .filter(|r| r.headers["webhook-id"] == str_of(&e1["id"]).as_str())
        .collect();
    assert_eq!(for_e1.len(), 3);
    assert_eq!(for_e1[2].headers["x-webhook-attempt"], "3");
    app.post("/api/v1/deliveries/dlv_missing/retry", &key, json!({}))
        .await
        .error(404, "not_found")
        .await;
}

async fn deleting_a_webhook_cancels_its_pending_deliveries(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/x", vec![Answer::Status(500)]);
    let (_, key) = app.tenant("acme").await;
    let hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/x"), "retry": { "initial_delay_ms": 500 } }),
        )
        .await;
    let e = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let id = str_of(&e["deliveries"][0]["id"]);
    app.wait_delivery(&key, &id, |d| d["status"] == "retrying")
        .await;
    let del = app
        .delete(&format!("/api/v1/webhooks/{}", str_of(&hook["id"])), &key)
        .await;
    assert_eq!(del.status(), 204);
    app.get(&format!("/api/v1/deliveries/{id}"), &key)
        .await
        .error(404, "not_found")
        .await;
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(rx.at("/x").len(), 1, "a cancelled delivery was retried");
}

async fn history_lists_a_webhooks_deliveries_by_status(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/h", vec![Answer::Status(500)]);
    let (_, key) = app.tenant("acme").await;
    let hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/h"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let e = app
            .publish(&key, json!({ "type": "webhook.test", "data": { "n": n } }))
            .await;
        let id = str_of(&e["deliveries"][0]["id"]);
        app.wait_delivery(&key, &id, |d| {
            d["status"] == "delivered" || d["status"] == "failed"
        })
        .await;
        ids.push(id);
    }
    let base = format!("/api/v1/webhooks/{}/deliveries", str_of(&hook["id"]));
    let all = app.get(&base, &key).await.json_ok(200).await;
    let listed: Vec<_> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| str_of(&d["id"]))
        .collect();
    assert_eq!(listed, ids.iter().rev().cloned().collect::<Vec<_>>());
    let failed = app
        .get(&format!("{base}?status=failed"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(failed["data"].as_array().unwrap().len(), 1);
    assert_eq!(failed["data"][0]["id"], json!(ids[0]));
    let page = app
        .get(&format!("{base}?limit=2"), &key)
        .await
        .json_ok(200)
        .await;
    assert!(page["next_cursor"].is_string());
    app.get(&format!("{base}?status=lost"), &key)
        .await
        .error(422, "invalid_field")
        .await;
    // The event shows its deliveries.
    let events = app
        .get("/api/v1/events?limit=1", &key)
        .await
        .json_ok(200)
        .await;
    let eid = str_of(&events["data"][0]["id"]);
    let event = app
        .get(&format!("/api/v1/events/{eid}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(event["data"], json!({ "n": 2 }));
    assert_eq!(event["deliveries"][0]["id"], json!(ids[2]));
}

async fn another_tenants_events_and_deliveries_are_404(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, alice) = app.tenant("alice").await;
    let (_, mallory) = app.tenant("mallory").await;
    let hook = app.webhook(&alice, json!({ "url": rx.url("/a") })).await;
    let e = app
        .publish(&alice, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let wid = str_of(&hook["id"]);
    let did = str_of(&e["deliveries"][0]["id"]);
    rx.wait_for("/a", 1).await;
    app.get(&format!("/api/v1/events/{}", str_of(&e["id"])), &mallory)
        .await
        .error(404, "not_found")
        .await;
    app.get(&format!("/api/v1/deliveries/{did}"), &mallory)
        .await
        .error(404, "not_found")
        .await;
    app.post(
        &format!("/api/v1/deliveries/{did}/retry"),
        &mallory,
        json!({}),
    )
    .await
    .error(404, "not_found")
    .await;
    app.get(&format!("/api/v1/webhooks/{wid}/deliveries"), &mallory)
        .await
        .error(404, "not_found")
        .await;
    app.post(&format!("/api/v1/webhooks/{wid}/test"), &mallory, json!({}))
        .await
        .error(404, "not_found")
        .await;
    app.post(
        &format!("/api/v1/webhooks/{wid}/rotate-secret"),
        &mallory,
        json!({}),
    )
    .await
    .error(404, "not_found")
    .await;
    app.post(
        &format!("/api/v1/webhooks/{wid}/recover"),
        &mallory,
        json!({ "since": "2020-01-01T00:00:00Z" }),
    )
    .await
    .error(404, "not_found")
    .await;
    app.get(&format!("/api/v1/webhooks/{wid}/stats"), &mallory)
        .await
        .error(404, "not_found")
        .await;
    let list = app.get("/api/v1/events", &mallory).await.json_ok(200).await;
    assert_eq!(list["data"], json!([]));
    assert_eq!(rx.at("/a").len(), 1, "mallory's calls delivered something");
}
