//! Misbehaving receivers next to a healthy one: each fault ends in the right
//! number of attempts with the right recorded error, the healthy webhook gets
//! every event promptly, and the server stays healthy.

use std::time::Duration;

use hookwire::testing::faults::{Fault, FaultyEndpoint};
use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::receiver::Receiver;

hookwire::backend_tests!(socket_level_faults_are_recorded_and_isolated);

async fn socket_level_faults_are_recorded_and_isolated(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let healthy = Receiver::start().await;
    app.webhook(&key, json!({ "url": healthy.url("/ok") }))
        .await;
    // (fault, expected final status, expected error kind of every attempt)
    let cases = [
        (Fault::Trickle, "failed", Some("timeout")),
        (Fault::CloseMidHeaders, "failed", Some("request")),
        (Fault::Garbage, "failed", Some("request")),
        (Fault::HugeBody, "delivered", None),
    ];
    let mut faulty = Vec::new();
    for (fault, status, kind) in cases {
        let ep = FaultyEndpoint::start(fault).await.expect("listener");
        let w = app
            .webhook(
                &key,
                json!({ "url": ep.url, "timeout_seconds": 1,
                        "retry": { "max_attempts": 2, "initial_delay_ms": 100, "max_delay_ms": 200 } }),
            )
            .await;
        faulty.push((str_of(&w["id"]), fault, status, kind));
    }
    let started = tokio::time::Instant::now();
    let mut events = Vec::new();
    for n in 0..5 {
        events.push(
            app.publish(&key, json!({ "type": "webhook.test", "data": { "n": n } }))
                .await,
        );
    }
    healthy.wait_for("/ok", 5).await;
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "the healthy webhook waited for the faulty ones ({:?})",
        started.elapsed()
    );
    for event in &events {
        for d in event["deliveries"].as_array().expect("deliveries") {
            let Some((_, fault, status, kind)) =
                faulty.iter().find(|f| f.0 == str_of(&d["webhook_id"]))
            else {
                continue;
            };
            let d: Value = app
                .wait_delivery(&key, &str_of(&d["id"]), |d| d["status"] == *status)
                .await;
            let attempts = d["attempts"].as_array().expect("attempts");
            let expected = if kind.is_some() { 2 } else { 1 };
            assert_eq!(attempts.len(), expected, "{fault:?}: {d}");
            for a in attempts {
                assert_eq!(a["error_kind"].as_str(), *kind, "{fault:?}: {a}");
            }
            if *fault == Fault::HugeBody {
                let body = attempts[0]["response_body"].as_str().unwrap_or("");
                assert_eq!(body.len(), 4096, "only the excerpt is kept");
            }
            if *fault == Fault::Trickle {
                let ms = attempts[0]["duration_ms"].as_u64().unwrap_or(0);
                assert!((900..3000).contains(&ms), "timed out after {ms} ms");
            }
        }
    }
    app.get("/healthz", "").await.json_ok(200).await;
    let ready = app.get("/readyz", "").await;
    assert_eq!(ready.status(), 200);
}
