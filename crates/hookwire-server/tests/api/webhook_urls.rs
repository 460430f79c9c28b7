//! SPEC.md's URL rules with the production defaults (no http, no private networks).

use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app_with, ResponseExt};

hookwire::backend_tests!(
    internal_and_non_https_urls_are_refused_by_default,
    operators_can_allow_http_and_private_networks,
);

async fn internal_and_non_https_urls_are_refused_by_default(b: Backend) {
    let strict = |c: &mut hookwire_server::config::Config| {
        c.allow_http = false;
        c.allow_private_networks = false;
    };
    let Some(app) = spawn_app_with(b, strict).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    for url in [
        "ftp://example.com/hook",
        "http://93.184.216.34/hook",
        "https://",
        "https://user:pass@93.184.216.34/hook",
        "https://user@93.184.216.34/hook",
        "https://127.0.0.1/hook",
        "https://127.1.2.3:8443/hook",
        "https://10.0.0.1/hook",
        "https://172.16.5.4/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://100.64.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[::1]/hook",
        "https://[fd00::1]/hook",
        "https://[fe80::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://2130706433/hook",
        "https://0x7f000001/hook",
        "https://localhost/hook",
        "https://api.localhost/hook",
        "not a url",
    ] {
        let err = app
            .post(
                "/api/v1/webhooks",
                &key,
                json!({ "url": url, "events": ["*"] }),
            )
            .await
            .error(422, "invalid_webhook_url")
            .await;
        assert_eq!(err["field"], "url", "{url}: {err}");
    }
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"], json!([]));
    // A public https URL is fine, and so is a host name that does not resolve here
    // (delivery re-checks the address it connects to).
    app.webhook(&key, json!({ "url": "https://93.184.216.34/hook" }))
        .await;
    app.webhook(&key, json!({ "url": "https://hooks.example.invalid/in" }))
        .await;
}

async fn operators_can_allow_http_and_private_networks(b: Backend) {
    let Some(app) = spawn_app_with(b, |_| {}).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    app.webhook(&key, json!({ "url": "http://127.0.0.1:9/hook" }))
        .await;
    app.webhook(&key, json!({ "url": "http://localhost:9/hook" }))
        .await;
}
