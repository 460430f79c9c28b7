//! Secrets never reach the logs: the real binary at debug level (every crate,
//! JSON lines), driven through creation, deliveries, a test send and a rotation.

use hookwire::testing::{Backend, TestDatabase};
use serde_json::{json, Value};

use crate::receiver::Receiver;
use crate::server::{Server, ADMIN};

#[tokio::test]
async fn no_secret_or_key_appears_in_debug_logs() {
    let Some(db) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("hookwire.log");
    let server = Server::start_logging(
        &db.url,
        &[("RUST_LOG", "debug"), ("HOOKWIRE_LOG_FORMAT", "json")],
        Some(&log),
    )
    .await;
    let rx = Receiver::start().await;
    let client = reqwest::Client::new();
    let base = &server.base;
    let tenant: Value = client
        .post(format!("{base}/api/v1/tenants"))
        .bearer_auth(ADMIN)
        .json(&json!({ "name": "acme" }))
        .send()
        .await
        .expect("tenant")
        .json()
        .await
        .expect("json");
    let key = tenant["api_key"].as_str().expect("key").to_owned();
    let secret = "whsec_c2VjcmV0LXRoYXQtbXVzdC1uZXZlci1iZS1sb2dnZWQ=";
    let webhook: Value = client
        .post(format!("{base}/api/v1/webhooks"))
        .bearer_auth(&key)
        .json(&json!({ "url": rx.url("/hook"), "events": ["*"], "secret": secret }))
        .send()
        .await
        .expect("webhook")
        .json()
        .await
        .expect("json");
    let id = webhook["id"].as_str().expect("id");
    for n in 0..3 {
        client
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(&key)
            .json(&json!({ "type": "webhook.test", "data": { "n": n } }))
            .send()
            .await
            .expect("publish");
    }
    rx.wait_for("/hook", 3).await;
    let test = client
        .post(format!("{base}/api/v1/webhooks/{id}/test"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("test send");
    assert_eq!(test.status(), 200);
    let rotated: Value = client
        .post(format!("{base}/api/v1/webhooks/{id}/rotate-secret"))
        .bearer_auth(&key)
        .json(&json!({}))
        .send()
        .await
        .expect("rotate")
        .json()
        .await
        .expect("json");
    let new_secret = rotated["secret"].as_str().expect("new secret").to_owned();
    server.kill();

    let text = std::fs::read_to_string(&log).expect("log");
    assert!(text.lines().count() > 20, "debug logging was on:\n{text}");
    let secret_key_part = &secret["whsec_".len()..];
    for (what, needle) in [
        ("webhook secret", secret_key_part),
        ("rotated secret", &new_secret["whsec_".len()..]),
        ("API key", key.as_str()),
        ("admin token", ADMIN),
    ] {
        assert!(!text.contains(needle), "the {what} is in the logs");
    }
}
