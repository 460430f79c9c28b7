//! Retries, backoff, timeouts, Retry-After, 410 and auto-disable.

use std::time::Duration;

use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_polling, spawn_app_with, str_of};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    a_failing_endpoint_is_retried_with_exponential_backoff_until_it_answers,
    a_delivery_fails_after_its_last_attempt,
    a_hanging_endpoint_times_out_without_delaying_others,
    retry_after_is_honoured_on_429_and_503,
    a_410_gone_disables_the_webhook,
    a_webhook_failing_for_auto_disable_after_is_disabled,
    an_unreachable_endpoint_records_the_transport_error,
);

async fn a_failing_endpoint_is_retried_with_exponential_backoff_until_it_answers(b: Backend) {
    // A server's poll interval: the retries must not wait for it.
    let Some(app) = spawn_app_polling(b, Duration::from_secs(1)).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/flaky", vec![Answer::Status(500), Answer::Status(503)]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/flaky"), "retry": { "initial_delay_ms": 200 } }),
    )
    .await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let id = str_of(&event["deliveries"][0]["id"]);

    let got = rx.wait_for("/flaky", 3).await;
    let d = app
        .wait_delivery(&key, &id, |d| d["status"] == "delivered")
        .await;
    assert_eq!(d["attempt_count"], 3);
    let attempts = d["attempts"].as_array().unwrap();
    let statuses: Vec<_> = attempts.iter().map(|a| a["http_status"].clone()).collect();
    assert_eq!(statuses, vec![json!(500), json!(503), json!(200)]);
    let numbers: Vec<_> = got
        .iter()
        .map(|r| r.headers["x-webhook-attempt"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(numbers, ["1", "2", "3"]);
    // Same webhook-id on every retry, so receivers can dedupe.
    assert!(got
        .iter()
        .all(|r| r.headers["webhook-id"] == got[0].headers["webhook-id"]));
    // Waits of ~200 ms then ~400 ms (±20 % jitter), each retry starting within
    // 50 ms of its due time (plus a request's few ms): the worker, napping
    // for its poll interval (1 s) when the result came in, is woken for it.
    let gap1 = got[1].at - got[0].at;
    let gap2 = got[2].at - got[1].at;
    assert!(gap1 >= Duration::from_millis(150), "first wait {gap1:?}");
    assert!(
        gap1 <= Duration::from_millis(240 + 60),
        "first wait {gap1:?}"
    );
    assert!(gap2 >= Duration::from_millis(300), "second wait {gap2:?}");
    assert!(
        gap2 <= Duration::from_millis(480 + 60),
        "second wait {gap2:?}"
    );
    assert_eq!(attempts[0]["response_body"], "ok");
}

async fn a_delivery_fails_after_its_last_attempt(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/down", vec![Answer::Status(500); 10]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/down"),
                              "retry": { "max_attempts": 3, "initial_delay_ms": 20 } }),
    )
    .await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let id = str_of(&event["deliveries"][0]["id"]);
    let d = app
        .wait_delivery(&key, &id, |d| d["status"] == "failed")
        .await;
    assert_eq!(d["attempt_count"], 3);
    assert_eq!(d["last_http_status"], 500);
    assert_eq!(d["last_error"], "HTTP 500");
    assert!(d["completed_at"].is_string());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.at("/down").len(), 3, "attempted past max_attempts");
}

async fn a_hanging_endpoint_times_out_without_delaying_others(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/hang", vec![Answer::Hang(Duration::from_secs(5))]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/hang"), "timeout_seconds": 1,
                              "retry": { "max_attempts": 1 } }),
    )
    .await;
    app.webhook(&key, json!({ "url": rx.url("/fast") })).await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let started = tokio::time::Instant::now();
    rx.wait_for("/fast", 1).await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "the fast webhook waited for the slow one"
    );
    for d in event["deliveries"].as_array().unwrap() {
        let d = app
            .wait_delivery(&key, &str_of(&d["id"]), |d| {
                d["status"] != "pending" && d["attempt_count"] == 1
            })
            .await;
        if d["status"] == "failed" {
            assert_eq!(d["attempts"][0]["error_kind"], "timeout");
            assert_eq!(d["attempts"][0]["http_status"], json!(null));
            let ms = d["attempts"][0]["duration_ms"].as_u64().unwrap();
            assert!((900..3000).contains(&ms), "timed out after {ms} ms");
        } else {
            assert_eq!(d["status"], "delivered");
        }
    }
}

async fn retry_after_is_honoured_on_429_and_503(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/limited", vec![Answer::RetryAfter(429, 1)]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/limited"), "retry": { "initial_delay_ms": 10 } }),
    )
    .await;
    app.publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let got = rx.wait_for("/limited", 2).await;
    let gap = got[1].at - got[0].at;
    assert!(
        gap >= Duration::from_millis(950),
        "retried after {gap:?}, not after Retry-After: 1"
    );

    // 503 with Retry-After waits too; 429 without one falls back to the backoff.
    rx.script("/unavailable", vec![Answer::RetryAfter(503, 1)]);
    rx.script("/plain", vec![Answer::Status(429)]);
    app.event_types(&["order.paid"]).await;
    for path in ["/unavailable", "/plain"] {
        app.webhook(
            &key,
            json!({ "url": rx.url(path), "events": ["order.*"], "retry": { "initial_delay_ms": 10 } }),
        )
        .await;
    }
    app.publish(&key, json!({ "type": "order.paid", "data": {} }))
        .await;
    let slow = rx.wait_for("/unavailable", 2).await;
    let plain = rx.wait_for("/plain", 2).await;
    let waited = slow[1].at - slow[0].at;
    assert!(
        waited >= Duration::from_millis(950),
        "503: retried after {waited:?}"
    );
    let backoff = plain[1].at - plain[0].at;
    assert!(
        backoff < Duration::from_millis(900),
        "429 without Retry-After waited {backoff:?}"
    );
    assert_eq!(rx.at("/unavailable").len(), 2, "no extra attempts");
}

async fn a_410_gone_disables_the_webhook(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/gone", vec![Answer::Status(410)]);
    let (_, key) = app.tenant("acme").await;
    let hook = app.webhook(&key, json!({ "url": rx.url("/gone") })).await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let id = str_of(&event["deliveries"][0]["id"]);
    let d = app
        .wait_delivery(&key, &id, |d| d["status"] == "failed")
        .await;
    assert_eq!(d["attempt_count"], 1);
    let path = format!("/api/v1/webhooks/{}", str_of(&hook["id"]));
    let w = app.get(&path, &key).await;
    let w: serde_json::Value = w.json().await.unwrap();
    assert_eq!(w["is_active"], false);
    assert!(w["disabled_reason"].as_str().unwrap().contains("410"));
    // A disabled webhook gets no new deliveries; re-enabling clears the reason.
    let next = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    assert_eq!(next["deliveries"], json!([]));
    let w: serde_json::Value = app
        .patch(&path, &key, json!({ "is_active": true }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(w["disabled_reason"], json!(null));
}

async fn a_webhook_failing_for_auto_disable_after_is_disabled(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.auto_disable_after = "300ms".into()).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/broken", vec![Answer::Status(500); 50]);
    let (_, key) = app.tenant("acme").await;
    let hook = app
        .webhook(
            &key,
            json!({ "url": rx.url("/broken"),
        "retry": { "max_attempts": 20, "initial_delay_ms": 100, "max_delay_ms": 100 } }),
        )
        .await;
    app.publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let path = format!("/api/v1/webhooks/{}", str_of(&hook["id"]));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let w: serde_json::Value = app.get(&path, &key).await.json().await.unwrap();
        if w["is_active"] == false {
            assert!(
                w["disabled_reason"]
                    .as_str()
                    .unwrap()
                    .contains("failed since"),
                "{w}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never auto-disabled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(rx.at("/broken").len() >= 3);
}

async fn an_unreachable_endpoint_records_the_transport_error(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": format!("http://127.0.0.1:{port}/x"),
                              "retry": { "max_attempts": 1 } }),
    )
    .await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let d = app
        .wait_delivery(&key, &str_of(&event["deliveries"][0]["id"]), |d| {
            d["status"] == "failed"
        })
        .await;
    assert_eq!(d["attempts"][0]["error_kind"], "connect");
    assert!(d["last_error"].as_str().unwrap().starts_with("connect"));
}
