//! Hostile or broken input gets a 4xx with a clear error, never a 5xx, and the
//! server stays healthy.

use hookwire::testing::Backend;

use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, str_of, ResponseExt};

hookwire::backend_tests!(
    hostile_bodies_queries_and_headers_get_4xx_not_5xx,
    bad_query_values_are_422_naming_the_parameter_and_its_form,
    invalid_fields_are_422_naming_the_field_and_change_nothing,
    malformed_and_oversized_bodies_are_rejected,
);

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
    // A body that is JSON but not an object, even one whose items would fill a
    // struct's fields in order.
    for body in [r#"["webhook.test", {}]"#, "[null, null]", "42", r#""text""#] {
        post(body.as_bytes().to_vec())
            .await
            .unwrap()
            .error(422, "invalid_field")
            .await;
        let r = app
            .client
            .post(format!("{}/api/v1/portal-sessions", app.base))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{body}");
    }
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

async fn invalid_fields_are_422_naming_the_field_and_change_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let base = || json!({ "url": "https://93.184.216.34/hook", "events": ["*"] });
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let cases = [
        (with("events", json!([])), "invalid_field", "events"),
        (
            with("events", json!(["not.registered"])),
            "unknown_event_type",
            "events",
        ),
        (
            with("events", json!(["bad..name"])),
            "invalid_field",
            "events",
        ),
        (
            with("timeout_seconds", json!(0)),
            "invalid_field",
            "timeout_seconds",
        ),
        (
            with("timeout_seconds", json!(61)),
            "invalid_field",
            "timeout_seconds",
        ),
        (
            with("timeout_seconds", json!(-1)),
            "invalid_field",
            "timeout_seconds",
        ),
        (
            with("retry", json!({ "max_attempts": 0 })),
            "invalid_field",
            "retry.max_attempts",
        ),
        (
            with("retry", json!({ "max_attempts": 21 })),
            "invalid_field",
            "retry.max_attempts",
        ),
        (
            with(
                "retry",
                json!({ "initial_delay_ms": 10, "max_delay_ms": 5 }),
            ),
            "invalid_field",
            "retry.max_delay_ms",
        ),
        (
            with("retry", json!({ "bogus": 1 })),
            "invalid_field",
            "retry.bogus",
        ),
        (
            with("channels", json!(["has space"])),
            "invalid_field",
            "channels",
        ),
        (
            with("headers", json!({ "Content-Type": "text/plain" })),
            "invalid_field",
            "headers.Content-Type",
        ),
        (
            with("headers", json!({ "bad header": "x" })),
            "invalid_field",
            "headers.bad header",
        ),
        (with("secret", json!("short")), "invalid_field", "secret"),
        (
            with("url", json!("ftp://93.184.216.34/")),
            "invalid_webhook_url",
            "url",
        ),
        (
            with("unknown_field", json!(1)),
            "invalid_field",
            "unknown_field",
        ),
        (json!({ "events": ["*"] }), "invalid_field", "url"),
        (
            json!({ "url": "https://93.184.216.34/hook" }),
            "invalid_field",
            "events",
        ),
    ];
    for (body, code, field) in cases {
        let err = app
            .post("/api/v1/webhooks", &key, body.clone())
            .await
            .error(422, code)
            .await;
        assert_eq!(err["field"], field, "for {body}: {err}");
    }
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(
        list["data"],
        json!([]),
        "a rejected create stored something"
    );

    // A rejected PATCH leaves the webhook as it was.
    let created = app.webhook(&key, json!({ "name": "keep" })).await;
    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    app.patch(
        &path,
        &key,
        json!({ "name": "changed", "timeout_seconds": 99 }),
    )
    .await
    .error(422, "invalid_field")
    .await;
    assert_eq!(
        app.get(&path, &key).await.json_ok(200).await["name"],
        "keep"
    );
}

async fn malformed_and_oversized_bodies_are_rejected(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| c.max_body_bytes = 2048).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let url = format!("{}/api/v1/webhooks", app.base);
    let send = |body: String, ct: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&key)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    send("{\"url\": ".into(), "application/json")
        .await
        .unwrap()
        .error(400, "malformed_json")
        .await;
    send("{}".into(), "text/plain")
        .await
        .unwrap()
        .error(415, "unsupported_media_type")
        .await;
    let big = json!({ "url": "https://93.184.216.34/hook", "events": ["*"],
                      "description": "x".repeat(4096) });
    send(big.to_string(), "application/json")
        .await
        .unwrap()
        .error(413, "payload_too_large")
        .await;
    // A body of the wrong shape says what it should be, in JSON's words.
    for (body, expected) in [
        ("[]", "expected a JSON object"),
        ("3", "expected a JSON object"),
    ] {
        let err = send(body.into(), "application/json")
            .await
            .unwrap()
            .error(422, "invalid_field")
            .await;
        let message = str_of(&err["message"]);
        assert!(message.contains(expected), "{body}: {err}");
        assert!(
            !message.contains("struct") && !message.contains("Draft"),
            "{body}: {err}"
        );
    }
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"], json!([]));
}

async fn bad_query_values_are_422_naming_the_parameter_and_its_form(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let hook = str_of(&app.webhook(&key, json!({})).await["id"]);
    for (query, field, expected) in [
        ("/api/v1/events?since=yesterday", "since", "RFC 3339"),
        ("/api/v1/events?until=2026-13-01", "until", "RFC 3339"),
        (
            "/api/v1/events?limit=ten",
            "limit",
            "whole number from 1 to 250",
        ),
        ("/api/v1/events?limit=0", "limit", "1"),
        ("/api/v1/webhooks?is_active=yes", "is_active", "true"),
        (
            &format!("/api/v1/webhooks/{hook}/deliveries?status=bogus"),
            "status",
            "delivered",
        ),
        (
            &format!("/api/v1/webhooks/{hook}/deliveries?since=x"),
            "since",
            "RFC 3339",
        ),
        ("/api/v1/stats?window=forever", "window", "1s to 366d"),
        ("/api/v1/events?channel=eu%00", "channel", "NUL"),
        ("/api/v1/events?type=a%00b", "type", "NUL"),
        ("/api/v1/webhooks?event=a%00", "event", "NUL"),
        (
            &format!("/api/v1/webhooks/{hook}/deliveries?event_type=%00"),
            "event_type",
            "NUL",
        ),
    ] {
        let body = app.get(query, &key).await.error(422, "invalid_field").await;
        assert_eq!(body["field"], field, "{query}: {body}");
        assert!(
            str_of(&body["message"]).contains(expected),
            "{query}: {body}"
        );
    }
    // The same rule for a time in a body.
    let body = app
        .post(
            &format!("/api/v1/webhooks/{hook}/recover"),
            &key,
            json!({ "since": "yesterday" }),
        )
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(body["field"], "since", "{body}");
    assert!(str_of(&body["message"]).contains("RFC 3339"), "{body}");
}
