//! Bulk retry: a tenant's failed (or delivered) deliveries requeued by a
//! filter, made due at `bulk_retry_per_second`, each delivered again.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, str_of, ResponseExt, TestApp};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    a_bulk_retry_requeues_what_it_picks_paced,
    a_bulk_retry_names_a_bad_field,
);

/// Wait until `n` deliveries of the tenant's webhook `wh` have `status`.
async fn wait_status(app: &TestApp, key: &str, wh: &str, status: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let list = app
            .get(
                &format!("/api/v1/webhooks/{wh}/deliveries?status={status}"),
                key,
            )
            .await
            .json_ok(200)
            .await;
        if list["data"].as_array().unwrap().len() >= n {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "never {n} {status}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn a_bulk_retry_requeues_what_it_picks_paced(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.bulk_retry_per_second = 4).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/down", vec![Answer::Status(500); 6]);
    let (_, key) = app.tenant("acme").await;
    let once = json!({ "max_attempts": 1 });
    let down = app
        .webhook(&key, json!({ "url": rx.url("/down"), "retry": once }))
        .await;
    let wh = str_of(&down["id"]);
    let since = Utc::now() - TimeDelta::minutes(1);
    for n in 0..6 {
        app.publish(&key, json!({ "type": "webhook.test", "data": { "n": n } }))
            .await;
    }
    wait_status(&app, &key, &wh, "failed", 6).await;

    // Picks nothing: another event type, or a window that ended before.
    let none = |body: Value| {
        let (app, key) = (&app, &key);
        async move {
            app.post("/api/v1/deliveries/retry", key, body)
                .await
                .json_ok(202)
                .await["requeued"]
                .clone()
        }
    };
    assert_eq!(
        none(json!({ "since": since, "event_type": "order.paid" })).await,
        0
    );
    assert_eq!(
        none(json!({ "since": since - TimeDelta::minutes(5), "until": since })).await,
        0
    );
    assert_eq!(
        none(json!({ "since": since, "status": "delivered" })).await,
        0
    );

    let started = tokio::time::Instant::now();
    let all = app
        .post(
            "/api/v1/deliveries/retry",
            &key,
            json!({ "since": since, "webhook_id": wh }),
        )
        .await
        .json_ok(202)
        .await;
    assert_eq!(all["requeued"], 6);
    wait_status(&app, &key, &wh, "delivered", 6).await;
    let got = rx.at("/down");
    assert_eq!(got.len(), 12, "each failed delivery once more");
    // Four a second: the sixth is due 1.25 s after the first.
    let spread = got[11].at.duration_since(got[6].at);
    assert!(
        spread >= Duration::from_millis(1100),
        "requeued all at once: {spread:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(1100));
    // Delivered ones can be sent again on purpose.
    assert_eq!(
        none(json!({ "since": since, "status": "delivered" })).await,
        6
    );
}

async fn a_bulk_retry_names_a_bad_field(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let since = Utc::now() - TimeDelta::hours(1);
    for (body, field) in [
        (json!({ "since": since, "status": "pending" }), "status"),
        (json!({ "since": since, "status": "bogus" }), "status"),
        (json!({ "since": "yesterday" }), "since"),
        (json!({ "since": since, "until": since }), "until"),
        (json!({ "since": since, "webhook": "wh_x" }), "webhook"),
    ] {
        let resp = app
            .post("/api/v1/deliveries/retry", &key, body.clone())
            .await;
        assert_eq!(resp.status(), 422, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["field"], field, "{body}: {err}");
    }
    let missing = app.post("/api/v1/deliveries/retry", &key, json!({})).await;
    assert_eq!(missing.status(), 422);
    let unknown = app
        .post(
            "/api/v1/deliveries/retry",
            &key,
            json!({ "since": since, "webhook_id": "wh_x" }),
        )
        .await;
    assert_eq!(unknown.status(), 404);
}
