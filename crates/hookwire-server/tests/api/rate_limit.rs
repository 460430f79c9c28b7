use hookwire::testing::Backend;

use crate::helpers::{spawn_app, spawn_app_with, ResponseExt};

hookwire::backend_tests!(
    every_response_carries_rate_limit_headers,
    a_key_over_its_limit_gets_429_with_retry_after,
);

fn header(resp: &reqwest::Response, name: &str) -> u64 {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing {name}"))
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn every_response_carries_rate_limit_headers(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    for resp in [
        app.get("/api/v1/webhooks", &key).await,
        app.get("/api/v1/webhooks/wh_missing", &key).await,
        app.get("/api/v1/webhooks", "wrong").await,
        app.client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(header(&resp, "x-ratelimit-limit"), 2000);
        assert!(header(&resp, "x-ratelimit-remaining") < 2000);
        assert!(header(&resp, "x-ratelimit-reset") <= 1);
    }
}

async fn a_key_over_its_limit_gets_429_with_retry_after(b: Backend) {
    let limited = |c: &mut hookwire_server::config::Config| {
        c.api_rate_limit_per_second = 1;
        c.api_rate_limit_burst = 3;
    };
    let Some(app) = spawn_app_with(b, limited).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("other").await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let resp = app.get("/api/v1/webhooks", &key).await;
        assert_eq!(resp.status(), 200);
        remaining.push(header(&resp, "x-ratelimit-remaining"));
    }
    assert_eq!(remaining, vec![2, 1, 0]);
    let limited = app.get("/api/v1/webhooks", &key).await;
    assert!(header(&limited, "retry-after") >= 1);
    assert_eq!(header(&limited, "x-ratelimit-remaining"), 0);
    limited.error(429, "rate_limited").await;
    // Another key has its own bucket.
    assert_eq!(app.get("/api/v1/webhooks", &other).await.status(), 200);
}
