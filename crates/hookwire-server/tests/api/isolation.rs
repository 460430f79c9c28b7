//! A slow endpoint cannot starve others; global webhooks from the config file.

use std::time::Duration;

use hookwire::model::WebhookDraft;
use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app_with, str_of};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    a_slow_webhook_is_capped_and_others_keep_flowing,
    config_file_webhooks_receive_every_tenants_matching_events,
);

async fn a_slow_webhook_is_capped_and_others_keep_flowing(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.max_in_flight_per_webhook = 2).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/slow", vec![Answer::Hang(Duration::from_millis(400)); 8]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/slow"), "timeout_seconds": 5 }),
    )
    .await;
    app.webhook(&key, json!({ "url": rx.url("/fast") })).await;
    for n in 0..8 {
        app.publish(&key, json!({ "type": "webhook.test", "data": { "n": n } }))
            .await;
    }
    let started = tokio::time::Instant::now();
    rx.wait_for("/fast", 8).await;
    // 8 slow requests at 2 at a time take >= 1.6 s; the fast ones must not wait.
    assert!(
        started.elapsed() < Duration::from_millis(1200),
        "fast deliveries waited"
    );
    rx.wait_for("/slow", 8).await;
    assert!(
        rx.max_concurrent("/slow") <= 2,
        "cap exceeded: {}",
        rx.max_concurrent("/slow")
    );
    assert_eq!(rx.max_concurrent("/slow"), 2, "the cap was not used");
}

async fn config_file_webhooks_receive_every_tenants_matching_events(b: Backend) {
    let rx = Receiver::start().await;
    let global = WebhookDraft {
        url: rx.url("/global"),
        events: vec!["webhook.test".into()],
        name: Some("audit".into()),
        secret: Some("global-secret-value".into()),
        ..Default::default()
    };
    let Some(app) = spawn_app_with(b, |c| c.webhooks = vec![global.clone()]).await else {
        return;
    };
    let (_, a) = app.tenant("a").await;
    let (_, z) = app.tenant("z").await;
    let ea = app
        .publish(&a, json!({ "type": "webhook.test", "data": { "t": "a" } }))
        .await;
    let ez = app
        .publish(&z, json!({ "type": "webhook.test", "data": { "t": "z" } }))
        .await;
    let got = rx.wait_for("/global", 2).await;
    let ids: Vec<_> = got
        .iter()
        .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&str_of(&ea["id"])) && ids.contains(&str_of(&ez["id"])));
    standardwebhooks::Webhook::from_bytes(b"global-secret-value".to_vec())
        .unwrap()
        .verify(&got[0].body, &got[0].headers)
        .unwrap();
    // Tenants do not see the global webhook among their own.
    let list = app
        .get("/api/v1/webhooks", &a)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(list["data"], json!([]));
    // Re-applying the config is idempotent: same id, one webhook.
    let again = app.hookwire.sync_global_webhooks(&[global]).await.unwrap();
    assert_eq!(again.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["webhook_id"], json!(again[0].id));
}
