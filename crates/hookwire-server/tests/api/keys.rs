//! API keys: issued with a name, scopes and an expiry, listed without their
//! tokens, revoked by the admin or the tenant; every route refuses a key
//! without the scope it needs (403 `insufficient_scope`).

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use hookwire::testing::Backend;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt, TestApp, ADMIN};

hookwire::backend_tests!(
    keys_are_named_scoped_listed_and_revoked,
    an_expired_key_is_refused,
    a_bad_key_draft_names_the_field_and_creates_nothing,
    every_route_refuses_a_key_without_its_scope,
    the_dashboard_refuses_a_key_that_cannot_manage,
);

/// Issue a key through `path` with `body`; returns the 201 body.
async fn issue(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    app.post(path, token, body).await.json_ok(201).await
}

async fn keys_are_named_scoped_listed_and_revoked(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, full) = app.tenant("acme").await;
    let expires = Utc::now() + TimeDelta::days(1);
    let publisher = issue(
        &app,
        &format!("/api/v1/tenants/{tenant}/keys"),
        ADMIN,
        json!({ "name": "billing", "scopes": ["publish"], "expires_at": expires }),
    )
    .await;
    assert_eq!(publisher["name"], "billing");
    assert_eq!(publisher["scopes"], json!(["publish"]));
    let reader = issue(&app, "/api/v1/keys", &full, json!({ "scopes": ["read"] })).await;
    // No body: every scope, no expiry (what the endpoint always did).
    let plain = app
        .request(
            Method::POST,
            &format!("/api/v1/tenants/{tenant}/keys"),
            Some(ADMIN),
            None,
        )
        .await
        .json_ok(201)
        .await;
    assert_eq!(plain["scopes"], json!(["publish", "read", "manage"]));
    assert_eq!(plain["expires_at"], Value::Null);

    let publisher_token = str_of(&publisher["api_key"]);
    let reader_token = str_of(&reader["api_key"]);
    app.publish(
        &publisher_token,
        json!({ "type": "webhook.test", "data": {} }),
    )
    .await;
    let refused = app.get("/api/v1/webhooks", &publisher_token).await;
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
    assert!(str_of(&body["message"]).contains("read"), "{body}");
    assert_eq!(
        app.get("/api/v1/webhooks", &reader_token).await.status(),
        200
    );
    let no_publish = app
        .post(
            "/api/v1/events",
            &reader_token,
            json!({ "type": "webhook.test", "data": {} }),
        )
        .await;
    assert_eq!(no_publish.status(), 403);

    // Listed for the tenant and the admin alike, newest first, never a token.
    let listed = app
        .get("/api/v1/keys", &reader_token)
        .await
        .json_ok(200)
        .await;
    let as_admin = app
        .get(&format!("/api/v1/tenants/{tenant}/keys"), ADMIN)
        .await
        .json_ok(200)
        .await;
    // The same keys; `last_used_at` may move in between (the listing call
    // itself uses a key, recorded off the request path).
    let without_use = |list: &Value| {
        let mut list = list.clone();
        for key in list["data"].as_array_mut().unwrap() {
            key.as_object_mut().unwrap().remove("last_used_at");
        }
        list
    };
    assert_eq!(without_use(&listed), without_use(&as_admin));
    let keys = listed["data"].as_array().unwrap();
    assert_eq!(keys.len(), 4);
    assert_eq!(keys[0]["id"], plain["id"]);
    assert!(keys.iter().all(|k| str_of(&k["prefix"]).len() == 12));
    for (created, token) in [(&publisher, &publisher_token), (&reader, &reader_token)] {
        let view = keys.iter().find(|k| k["id"] == created["id"]).unwrap();
        assert_eq!(str_of(&view["prefix"]), token[..12]);
        assert!(view.get("api_key").is_none());
        assert!(
            !listed.to_string().contains(token.as_str()),
            "a token listed"
        );
    }
    let view = keys.iter().find(|k| k["id"] == publisher["id"]).unwrap();
    assert_eq!(view["name"], "billing");
    assert_eq!(view["expires_at"], publisher["expires_at"]);

    // Its use is recorded (off the request path, so shortly after).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let listed = app.get("/api/v1/keys", &full).await.json_ok(200).await;
        let used = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] == publisher["id"])
            .map(|k| k["last_used_at"].clone());
        if used.as_ref().is_some_and(|u| !u.is_null()) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "last_used_at never set"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Revoked by the tenant: refused at once; by the admin: likewise.
    let revoke = app
        .delete(&format!("/api/v1/keys/{}", str_of(&publisher["id"])), &full)
        .await;
    assert_eq!(revoke.status(), 204);
    let after = app
        .post(
            "/api/v1/events",
            &publisher_token,
            json!({ "type": "webhook.test", "data": {} }),
        )
        .await;
    assert_eq!(after.status(), 401);
    let revoke = app
        .delete(
            &format!("/api/v1/tenants/{tenant}/keys/{}", str_of(&reader["id"])),
            ADMIN,
        )
        .await;
    assert_eq!(revoke.status(), 204);
    assert_eq!(
        app.get("/api/v1/webhooks", &reader_token).await.status(),
        401
    );
    let again = app
        .delete(&format!("/api/v1/keys/{}", str_of(&reader["id"])), &full)
        .await;
    assert_eq!(again.status(), 404);
    // Another tenant's key is not found, not revoked.
    let (_, other) = app.tenant("globex").await;
    let foreign = app
        .delete(&format!("/api/v1/keys/{}", str_of(&plain["id"])), &other)
        .await;
    assert_eq!(foreign.status(), 404);
    assert_eq!(
        app.get("/api/v1/webhooks", &str_of(&plain["api_key"]))
            .await
            .status(),
        200
    );
}

async fn an_expired_key_is_refused(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, full) = app.tenant("acme").await;
    let expires = Utc::now() + TimeDelta::milliseconds(1500);
    let key = issue(
        &app,
        "/api/v1/keys",
        &full,
        json!({ "expires_at": expires }),
    )
    .await;
    let token = str_of(&key["api_key"]);
    assert_eq!(app.get("/api/v1/webhooks", &token).await.status(), 200);
    let wait = (expires - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(100)).await;
    assert_eq!(
        app.get("/api/v1/webhooks", &token).await.status(),
        401,
        "refused after expires_at, though cached"
    );
}

async fn a_bad_key_draft_names_the_field_and_creates_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, full) = app.tenant("acme").await;
    let past = Utc::now() - TimeDelta::seconds(5);
    for (body, field) in [
        (json!({ "scopes": ["read", "admin"] }), "scopes[1]"),
        (json!({ "scopes": [] }), "scopes"),
        (json!({ "expires_at": past }), "expires_at"),
        (json!({ "name": "x".repeat(201) }), "name"),
        (json!({ "expires_at": "tomorrow" }), "expires_at"),
        (json!({ "scope": ["read"] }), "scope"),
    ] {
        let resp = app.post("/api/v1/keys", &full, body.clone()).await;
        assert_eq!(resp.status(), 422, "{body}");
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["field"], field, "{body}: {err}");
    }
    let listed = app.get("/api/v1/keys", &full).await.json_ok(200).await;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        1,
        "only the first key"
    );
}

/// Every documented route, asked by a key lacking the scope that route
/// needs: `publish` only (no `read`, no `manage`) and `read` only.
async fn every_route_refuses_a_key_without_its_scope(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, full) = app.tenant("acme").await;
    let only = |scope: &str| json!({ "scopes": [scope] });
    let publisher = str_of(&issue(&app, "/api/v1/keys", &full, only("publish")).await["api_key"]);
    let reader = str_of(&issue(&app, "/api/v1/keys", &full, only("read")).await["api_key"]);
    let doc: Value = app
        .get("/api/v1/openapi.json", &full)
        .await
        .json_ok(200)
        .await;
    let mut checked = 0;
    for (path, methods) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue; // probes and metrics take no key
        }
        let concrete = path.replace("{id}", "x_1").replace("{key_id}", "key_1");
        for method in methods.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            let needs = if method == Method::POST && path == "/api/v1/events" {
                "publish"
            } else if method == Method::GET {
                "read"
            } else {
                "manage"
            };
            for (token, has) in [(&publisher, "publish"), (&reader, "read")] {
                if has == needs {
                    continue;
                }
                let resp = app
                    .request(method.clone(), &concrete, Some(token), Some(json!({})))
                    .await;
                let status = resp.status();
                let body: Value = resp.json().await.unwrap_or_default();
                assert_eq!(
                    (status.as_u16(), body["error"].as_str()),
                    (403, Some("insufficient_scope")),
                    "{method} {path} with a {has} key"
                );
                assert!(
                    str_of(&body["message"]).contains(&format!("the {needs} scope")),
                    "{method} {path}: {body}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 30, "only {checked} route checks");
}

async fn the_dashboard_refuses_a_key_that_cannot_manage(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, full) = app.tenant("acme").await;
    let reader = issue(&app, "/api/v1/keys", &full, json!({ "scopes": ["read"] })).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let sign_in = |token: String| {
        client
            .post(format!("{}/ui/login", app.base))
            .form(&[("token", token)])
            .send()
    };
    let refused = sign_in(str_of(&reader["api_key"])).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("lacks the read and manage scopes"));
    assert_eq!(sign_in(full).await.unwrap().status(), 303);
}
