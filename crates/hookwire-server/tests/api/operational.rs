//! Operational webhooks: the operator's endpoints receive hookwire's own events
//! about every tenant — a webhook disabled by a 410, a delivery exhausted, a
//! webhook created, updated, deleted — signed and kept like any delivery;
//! an operational endpoint failing sets off nothing about itself.

use std::time::Duration;

use hookwire::secret::WebhookSecret;
use hookwire::testing::Backend;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, str_of, ResponseExt, TestApp, ADMIN};
use crate::receiver::{Answer, Received, Receiver};

hookwire::backend_tests!(
    a_disabled_webhook_and_an_exhausted_delivery_reach_the_operator,
    webhook_changes_reach_the_operator_and_a_failing_endpoint_reports_nothing_about_itself,
    operational_webhooks_are_the_admins_alone,
    config_file_operational_webhooks_keep_one_id_and_need_a_secret,
);

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

async fn operational(app: &TestApp, receiver: &Receiver, path: &str, events: Value) -> Value {
    app.post(
        "/api/v1/operational-webhooks",
        ADMIN,
        json!({ "url": receiver.url(path), "events": events, "secret": SECRET,
                "retry": { "max_attempts": 1 } }),
    )
    .await
    .json_ok(201)
    .await
}

/// The body of a received request, after checking its signature.
fn verified(r: &Received) -> Value {
    let secret = WebhookSecret::parse(SECRET).unwrap();
    let header = |name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    hookwire::verify::verify(&secret, header, &r.body, chrono::Utc::now()).expect("signed");
    serde_json::from_slice(&r.body).unwrap()
}

/// Wait until `path` received an event of `event_type`; its body.
async fn event_of(receiver: &Receiver, path: &str, event_type: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = receiver
            .at(path)
            .iter()
            .map(verified)
            .find(|b| b["type"] == event_type)
        {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {event_type} at {path}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_disabled_webhook_and_an_exhausted_delivery_reach_the_operator(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let op = operational(
        &app,
        &receiver,
        "/ops",
        json!(["hookwire.webhook.disabled", "hookwire.delivery.exhausted"]),
    )
    .await;
    let (tenant, key) = app.tenant("acme").await;
    receiver.script("/gone", vec![Answer::Status(410)]);
    let gone = app
        .webhook(&key, json!({ "url": receiver.url("/gone") }))
        .await;
    receiver.script("/broken", vec![Answer::Status(500)]);
    let broken = app
        .webhook(
            &key,
            json!({ "url": receiver.url("/broken"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;

    let disabled = event_of(&receiver, "/ops", "hookwire.webhook.disabled").await;
    assert_eq!(disabled["data"]["tenant_id"], json!(tenant));
    assert_eq!(disabled["data"]["webhook_id"], gone["id"]);
    assert_eq!(disabled["data"]["url"], gone["url"]);
    assert!(str_of(&disabled["data"]["reason"]).contains("410"));

    let exhausted = event_of(&receiver, "/ops", "hookwire.delivery.exhausted").await;
    let data = &exhausted["data"];
    assert_eq!(data["tenant_id"], json!(tenant));
    assert_eq!(data["event_id"], event["id"]);
    assert_eq!(data["attempts"], 1);
    let from_broken = data["webhook_id"] == broken["id"] && data["last_error"] == "HTTP 500";
    let from_gone = data["webhook_id"] == gone["id"] && data["last_error"] == "HTTP 410";
    assert!(from_broken || from_gone, "{exhausted}");

    // The operator reads the history of its endpoint like any webhook's.
    let op_id = str_of(&op["id"]);
    let history = app
        .client
        .get(format!("{}/api/v1/webhooks/{op_id}/deliveries", app.base))
        .bearer_auth(ADMIN)
        .header("x-hookwire-tenant", "tn_operator")
        .send()
        .await
        .unwrap()
        .json_ok(200)
        .await;
    assert!(history["data"].as_array().unwrap().len() >= 2, "{history}");
}

async fn webhook_changes_reach_the_operator_and_a_failing_endpoint_reports_nothing_about_itself(
    b: Backend,
) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let receiver = Receiver::start().await;
    operational(&app, &receiver, "/ops", json!(["hookwire.*"])).await;
    // An operational endpoint that answers 410: disabled, and nobody is told.
    receiver.script("/ops-gone", vec![Answer::Status(410); 10]);
    operational(&app, &receiver, "/ops-gone", json!(["hookwire.webhook.*"])).await;

    let (tenant, key) = app.tenant("acme").await;
    let created = app.webhook(&key, json!({})).await;
    let id = str_of(&created["id"]);
    app.patch(
        &format!("/api/v1/webhooks/{id}"),
        &key,
        json!({ "name": "renamed" }),
    )
    .await
    .json_ok(200)
    .await;
    assert_eq!(
        app.delete(&format!("/api/v1/webhooks/{id}"), &key)
            .await
            .status(),
        204
    );
    for kind in ["created", "updated", "deleted"] {
        let event = event_of(&receiver, "/ops", &format!("hookwire.webhook.{kind}")).await;
        assert_eq!(
            event["data"],
            json!({ "tenant_id": tenant, "webhook_id": id })
        );
    }
    // The failing endpoint was disabled by its 410 …
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let list = app
            .get("/api/v1/operational-webhooks", ADMIN)
            .await
            .json_ok(200)
            .await;
        let gone = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| str_of(&w["url"]).ends_with("/ops-gone"))
            .cloned()
            .expect("listed");
        if gone["is_active"] == false {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never disabled: {gone}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // … and nothing about the operator's own endpoints was published.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for r in receiver.at("/ops") {
        let body = verified(&r);
        assert_eq!(
            body["data"]["tenant_id"],
            json!(tenant),
            "about the operator: {body}"
        );
    }
    assert_eq!(
        receiver.at("/ops").len(),
        3,
        "created, updated, deleted and nothing else"
    );
}

async fn operational_webhooks_are_the_admins_alone(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let body = json!({ "url": receiver.url("/ops"), "events": ["hookwire.*"] });
    let r = app
        .post("/api/v1/operational-webhooks", &key, body.clone())
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.get("/api/v1/operational-webhooks", &key).await.status(),
        403
    );
    let r = app
        .post(
            "/api/v1/operational-webhooks",
            ADMIN,
            json!({ "url": receiver.url("/ops"), "events": ["hookwire.nonsense"] }),
        )
        .await;
    assert_eq!(r.status(), 422);
    let made = app
        .post("/api/v1/operational-webhooks", ADMIN, body)
        .await
        .json_ok(201)
        .await;
    assert!(str_of(&made["secret"]).starts_with("whsec_"));
    let list = app
        .get("/api/v1/operational-webhooks", ADMIN)
        .await
        .json_ok(200)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    // The operator tenant is not a tenant to list or delete, and a tenant key
    // cannot reach its webhooks.
    let tenants = app.get("/api/v1/tenants", ADMIN).await.json_ok(200).await;
    assert!(tenants["data"]
        .as_array()
        .unwrap()
        .iter()
        .all(|t| t["id"] != "tn_operator"));
    assert_eq!(
        app.delete("/api/v1/tenants/tn_operator", ADMIN)
            .await
            .status(),
        409
    );
    let id = str_of(&made["id"]);
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{id}"), &key)
            .await
            .status(),
        404
    );
    assert_eq!(
        app.delete(&format!("/api/v1/operational-webhooks/{id}"), &key)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.delete(&format!("/api/v1/operational-webhooks/{id}"), ADMIN)
            .await
            .status(),
        204
    );
    let list = app
        .get("/api/v1/operational-webhooks", ADMIN)
        .await
        .json_ok(200)
        .await;
    assert!(list["data"].as_array().unwrap().is_empty());
}

async fn config_file_operational_webhooks_keep_one_id_and_need_a_secret(b: Backend) {
    let receiver = Receiver::start().await;
    let draft = |url: String| -> hookwire::model::WebhookDraft {
        serde_json::from_value(json!({
            "url": url, "events": ["hookwire.webhook.created"], "name": "operator", "secret": SECRET
        }))
        .unwrap()
    };
    let first = draft(receiver.url("/ops"));
    let Some(app) = spawn_app_with(b, |c| c.operational_webhooks = vec![first]).await else {
        return;
    };
    let list = app
        .get("/api/v1/operational-webhooks", ADMIN)
        .await
        .json_ok(200)
        .await;
    let listed = list["data"].as_array().unwrap();
    assert_eq!(listed.len(), 1);
    let id = str_of(&listed[0]["id"]);
    // It works: a tenant's new webhook is announced to it, signed with the
    // file's secret.
    let (_, key) = app.tenant("acme").await;
    let created = app.webhook(&key, json!({})).await;
    let event = event_of(&receiver, "/ops", "hookwire.webhook.created").await;
    assert_eq!(event["data"]["webhook_id"], created["id"]);
    // Synced again (a restart, another node) with a new URL: the same webhook.
    let moved = app
        .hookwire
        .sync_operational_webhooks(&[draft(receiver.url("/ops-moved"))])
        .await
        .unwrap();
    assert_eq!(moved[0].id, id);
    let list = app
        .get("/api/v1/operational-webhooks", ADMIN)
        .await
        .json_ok(200)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(str_of(&list["data"][0]["url"]).ends_with("/ops-moved"));
    // Without a fixed secret it is refused, naming the entry.
    let mut secretless = draft(receiver.url("/x"));
    secretless.secret = None;
    let err = app
        .hookwire
        .sync_operational_webhooks(&[secretless])
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("operational_webhooks[0].secret"),
        "{err}"
    );
}
