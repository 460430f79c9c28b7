//! Webhook CRUD through the API: defaults, secrets shown once, PATCH and PUT,
//! delete, lists.

use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, str_of, ResponseExt, ADMIN};

hookwire::backend_tests!(
    a_new_webhook_gets_defaults_and_shows_its_secret_only_once,
    a_given_secret_is_kept_and_never_shown_again,
    patch_changes_only_the_given_fields,
    put_replaces_every_writable_field,
    deleting_a_webhook_makes_it_404,
    webhook_lists_paginate_and_filter,
    the_server_wide_default_retry_applies_where_a_webhook_sets_none,
);

async fn a_new_webhook_gets_defaults_and_shows_its_secret_only_once(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let created = app
        .webhook(&key, json!({ "events": ["webhook.test"] }))
        .await;
    assert!(str_of(&created["id"]).starts_with("wh_"));
    assert!(str_of(&created["secret"]).starts_with("whsec_"));
    assert_eq!(created["has_secret"], true);
    assert_eq!(created["is_active"], true);
    assert_eq!(created["timeout_seconds"], 10);
    assert_eq!(
        created["retry"],
        json!({ "max_attempts": 4, "initial_delay_ms": 1000, "max_delay_ms": 3600000 })
    );
    assert_eq!(created["channels"], json!([]));
    assert_eq!(created["headers"], json!({}));
    assert_eq!(created["disabled_reason"], Value::Null);

    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    let fetched = app.get(&path, &key).await.json_ok(200).await;
    assert!(fetched.get("secret").is_none(), "secret leaked: {fetched}");
    assert_eq!(fetched["has_secret"], true);
    let mut without_secret = created.clone();
    without_secret.as_object_mut().unwrap().remove("secret");
    assert_eq!(fetched, without_secret);

    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert!(list["data"][0].get("secret").is_none());
}

async fn a_given_secret_is_kept_and_never_shown_again(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let created = app
        .webhook(&key, json!({ "secret": "my-own-secret-123" }))
        .await;
    assert_eq!(created["secret"], "my-own-secret-123");
    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    let patched = app
        .patch(&path, &key, json!({ "secret": "rotated-secret-456" }))
        .await;
    let patched = patched.json_ok(200).await;
    assert!(patched.get("secret").is_none());
    let body = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(&key)
        .send()
        .await;
    let text = body.unwrap().text().await.unwrap();
    assert!(!text.contains("secret-456") && !text.contains("secret-123"));
}

async fn patch_changes_only_the_given_fields(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let created = app
        .webhook(
            &key,
            json!({ "name": "orders", "description": "d", "channels": ["wf-1"],
                    "headers": { "x-api-key": "k" }, "retry": { "max_attempts": 6 } }),
        )
        .await;
    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    let patched = app
        .patch(
            &path,
            &key,
            json!({ "timeout_seconds": 30, "description": null,
                                    "retry": { "initial_delay_ms": 50 } }),
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(patched["timeout_seconds"], 30);
    assert_eq!(patched["description"], Value::Null);
    assert_eq!(patched["name"], "orders");
    assert_eq!(patched["channels"], json!(["wf-1"]));
    assert_eq!(patched["headers"], json!({ "x-api-key": "k" }));
    assert_eq!(
        patched["retry"],
        json!({ "max_attempts": 6, "initial_delay_ms": 50, "max_delay_ms": 3600000 })
    );
    assert_eq!(patched["url"], created["url"]);
    assert_eq!(patched["created_at"], created["created_at"]);
    assert_ne!(patched["updated_at"], Value::Null);
    let again = app.get(&path, &key).await.json_ok(200).await;
    assert_eq!(again, patched);
}

async fn put_replaces_every_writable_field(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let created = app
        .webhook(
            &key,
            json!({ "name": "orders", "channels": ["wf-1"], "timeout_seconds": 30,
                               "retry": { "max_attempts": 6 } }),
        )
        .await;
    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    let replaced = app
        .put(
            &path,
            &key,
            json!({ "url": "https://93.184.216.34/v2", "events": ["webhook.test"] }),
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(replaced["url"], "https://93.184.216.34/v2");
    assert_eq!(replaced["events"], json!(["webhook.test"]));
    assert_eq!(replaced["name"], Value::Null);
    assert_eq!(replaced["channels"], json!([]));
    assert_eq!(replaced["timeout_seconds"], 10);
    assert_eq!(replaced["retry"]["max_attempts"], 4);
    // PUT needs the required fields.
    app.put(&path, &key, json!({ "name": "x" }))
        .await
        .error(422, "invalid_field")
        .await;
}

async fn deleting_a_webhook_makes_it_404(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let created = app.webhook(&key, json!({})).await;
    let path = format!("/api/v1/webhooks/{}", str_of(&created["id"]));
    assert_eq!(app.delete(&path, &key).await.status(), 204);
    app.get(&path, &key).await.error(404, "not_found").await;
    app.delete(&path, &key).await.error(404, "not_found").await;
    app.patch(&path, &key, json!({}))
        .await
        .error(404, "not_found")
        .await;
}

async fn webhook_lists_paginate_and_filter(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    app.post(
        "/api/v1/event-types",
        ADMIN,
        json!({ "name": "order.paid" }),
    )
    .await
    .json_ok(201)
    .await;
    app.post(
        "/api/v1/event-types",
        ADMIN,
        json!({ "name": "user.created" }),
    )
    .await
    .json_ok(201)
    .await;
    let mut order_ids = Vec::new();
    for i in 0..7 {
        let events = if i % 2 == 0 {
            json!(["order.*"])
        } else {
            json!(["user.created"])
        };
        let hook = app
            .webhook(&key, json!({ "events": events, "is_active": i != 4 }))
            .await;
        if i % 2 == 0 {
            order_ids.push(str_of(&hook["id"]));
        }
    }
    order_ids.reverse();

    let mut seen = Vec::new();
    let mut path = "/api/v1/webhooks?event=order.paid&limit=3".to_owned();
    loop {
        let page = app.get(&path, &key).await.json_ok(200).await;
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|w| str_of(&w["id"])),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/webhooks?event=order.paid&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, order_ids);

    let inactive = app
        .get("/api/v1/webhooks?is_active=false", &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(inactive["data"].as_array().unwrap().len(), 1);
    assert_eq!(inactive["data"][0]["is_active"], false);
    let all = app
        .get("/api/v1/webhooks?limit=250", &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 7);
    assert_eq!(all["next_cursor"], Value::Null);

    app.get("/api/v1/webhooks?event=bad..name", &key)
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/webhooks?is_active=maybe", &key)
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/webhooks?cursor=@@@", &key)
        .await
        .error(400, "invalid_cursor")
        .await;
}

async fn the_server_wide_default_retry_applies_where_a_webhook_sets_none(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| {
        c.default_retry = hookwire::model::RetryPolicyDraft {
            max_attempts: Some(12),
            initial_delay_ms: Some(5_000),
            max_delay_ms: None,
        }
    })
    .await
    else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let patient = app.webhook(&key, json!({})).await;
    assert_eq!(
        patient["retry"],
        json!({ "max_attempts": 12, "initial_delay_ms": 5000, "max_delay_ms": 3600000 })
    );
    // A webhook's own fields win, field by field.
    let own = app
        .webhook(&key, json!({ "retry": { "max_attempts": 2 } }))
        .await;
    assert_eq!(own["retry"]["max_attempts"], 2);
    assert_eq!(own["retry"]["initial_delay_ms"], 5000);
    // PUT resets what it leaves out to the same defaults.
    let id = str_of(&own["id"]);
    let put = app
        .put(
            &format!("/api/v1/webhooks/{id}"),
            &key,
            json!({ "url": "https://93.184.216.34/hook", "events": ["*"] }),
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(put["retry"]["max_attempts"], 12);
}
