//! Hostile or broken input gets a 4xx with a clear error, never a 5xx, and the
//! server stays healthy.

use hookwire::testing::Backend;

use crate::helpers::{spawn_app, ResponseExt};

hookwire::backend_tests!(hostile_bodies_queries_and_headers_get_4xx_not_5xx);

async fn hostile_bodies_queries_and_headers_get_4xx_not_5xx(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let post = |body: Vec<u8>| {
        app.client
            .post(format!("{}/api/v1/events", app.base))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    // 5,000 levels of nesting: refused by the parser's recursion limit.
    let deep = format!(
        r#"{{"type":"webhook.test","data":{}{}}}"#,
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    post(deep.into_bytes())
        .await
        .unwrap()
        .error(400, "malformed_json")
        .await;
    // Invalid UTF-8 inside a string.
    let mut bad_utf8 = br#"{"type":"webhook.test","data":{"s":""#.to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe]);
    bad_utf8.extend_from_slice(br#""}}"#);
    post(bad_utf8)
        .await
        .unwrap()
        .error(400, "malformed_json")
        .await;
    // Absurd or malformed pagination.
    for q in [
        "limit=-1",
        "limit=99999999999",
        "limit=1.5",
        "cursor=%00%00",
        "limit=0",
    ] {
        let resp = app.get(&format!("/api/v1/events?{q}"), &key).await;
        let status = resp.status().as_u16();
        assert!(status == 400 || status == 422, "{q}: {status}");
    }
    // A 1 MiB header is past hyper's header buffer (~400 KiB): refused by the
    // HTTP layer (431, or the connection is closed) without reaching a handler.
    let huge = "x".repeat(1024 * 1024);
    let resp = app
        .client
        .get(format!("{}/api/v1/events", app.base))
        .bearer_auth(&key)
        .header("x-huge", huge)
        .send()
        .await;
    if let Ok(resp) = resp {
        let status = resp.status().as_u16();
        assert!((400..500).contains(&status), "huge header: {status}");
    }
    // Still healthy, and nothing was stored.
    let events = app.get("/api/v1/events", &key).await.json_ok(200).await;
    assert_eq!(events["data"], serde_json::json!([]));
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}
