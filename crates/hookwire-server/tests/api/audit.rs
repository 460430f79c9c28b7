//! The audit log: every change through the API and the dashboard is recorded
//! with who made it (admin, key or portal session) and when, newest first;
//! the admin sees all, a tenant its own; filters; never a secret; retention.

use chrono::{Duration, Utc};
use hookwire::model::{Actor, AuditAction, AuditEntry};
use hookwire::testing::Backend;
use reqwest::header::COOKIE;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt, TestApp, ADMIN};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    every_api_change_is_recorded_with_its_actor_and_target,
    a_tenant_sees_its_own_entries_and_filters_work,
    dashboard_changes_name_the_session_that_made_them,
    old_entries_go_with_the_retention_period,
);

/// `(action, actor type, actor id, tenant, target)` of every entry, oldest first.
async fn entries(
    app: &TestApp,
    token: &str,
    query: &str,
) -> Vec<(String, String, Value, Value, Value)> {
    let list = app
        .get(&format!("/api/v1/audit-log?limit=250{query}"), token)
        .await
        .json_ok(200)
        .await;
    let mut rows: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                str_of(&e["action"]),
                str_of(&e["actor"]["type"]),
                e["actor"]["id"].clone(),
                e["tenant_id"].clone(),
                e["target_id"].clone(),
            )
        })
        .collect();
    rows.reverse();
    rows
}

async fn every_api_change_is_recorded_with_its_actor_and_target(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let created = app
        .post("/api/v1/tenants", ADMIN, json!({ "name": "acme" }))
        .await
        .json_ok(201)
        .await;
    let tenant = str_of(&created["id"]);
    let key = str_of(&created["api_key"]);
    let second = app
        .post(&format!("/api/v1/tenants/{tenant}/keys"), ADMIN, json!({}))
        .await
        .json_ok(201)
        .await;
    let second_id = str_of(&second["id"]);
    let first_key_id = {
        let keys = app.get("/api/v1/keys", &key).await.json_ok(200).await;
        let found = keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["id"] != second["id"])
            .cloned();
        str_of(&found.expect("the first key")["id"])
    };
    let receiver = Receiver::start().await;
    receiver.script("/hook", vec![Answer::Status(500)]);
    let webhook = app
        .webhook(
            &key,
            json!({ "url": receiver.url("/hook"), "retry": { "max_attempts": 1 } }),
        )
        .await;
    let wh = str_of(&webhook["id"]);
    app.patch(
        &format!("/api/v1/webhooks/{wh}"),
        &key,
        json!({ "name": "renamed" }),
    )
    .await
    .json_ok(200)
    .await;
    let url = str_of(&webhook["url"]);
    app.put(
        &format!("/api/v1/webhooks/{wh}"),
        &key,
        json!({ "url": url, "events": ["*"], "retry": { "max_attempts": 1 } }),
    )
    .await
    .json_ok(200)
    .await;
    let rotated = app
        .post(
            &format!("/api/v1/webhooks/{wh}/rotate-secret"),
            &key,
            json!({}),
        )
        .await
        .json_ok(200)
        .await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let ev = str_of(&event["id"]);
    let dlv = str_of(&event["deliveries"][0]["id"]);
    app.wait_delivery(&key, &dlv, |d| d["status"] == "failed")
        .await;
    app.post(&format!("/api/v1/events/{ev}/replay"), &key, json!({}))
        .await
        .json_ok(202)
        .await;
    let r = app
        .post(&format!("/api/v1/deliveries/{dlv}/retry"), &key, json!({}))
        .await;
    assert_eq!(r.status(), 202);
    let since = (Utc::now() - Duration::hours(1)).to_rfc3339();
    app.post(
        &format!("/api/v1/webhooks/{wh}/recover"),
        &key,
        json!({ "since": since }),
    )
    .await
    .json_ok(200)
    .await;
    app.post(
        "/api/v1/deliveries/retry",
        &key,
        json!({ "since": since, "webhook_id": wh }),
    )
    .await
    .json_ok(202)
    .await;
    app.post("/api/v1/portal-sessions", &key, json!({}))
        .await
        .json_ok(201)
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/keys/{second_id}"), &key)
            .await
            .status(),
        204
    );
    assert_eq!(
        app.delete(&format!("/api/v1/webhooks/{wh}"), &key)
            .await
            .status(),
        204
    );
    // Reads and publishes are not changes.
    app.get("/api/v1/webhooks", &key).await.json_ok(200).await;

    let log = entries(&app, ADMIN, "").await;
    let actions: Vec<&str> = log.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        actions,
        [
            "tenant.create",
            "key.create",
            "webhook.create",
            "webhook.update",
            "webhook.update",
            "webhook.rotate_secret",
            "event.replay",
            "deliveries.retry",
            "deliveries.retry",
            "deliveries.retry",
            "portal_session.create",
            "key.revoke",
            "webhook.delete",
        ][..actions.len().min(13)],
        "{log:?}"
    );
    assert_eq!(actions.len(), 13, "{log:?}");
    let admin = (json!(null), "admin");
    assert_eq!((log[0].2.clone(), log[0].1.as_str()), admin);
    assert_eq!((log[1].2.clone(), log[1].1.as_str()), admin);
    for e in &log[2..] {
        assert_eq!(
            (e.1.as_str(), str_of(&e.2)),
            ("api_key", first_key_id.clone()),
            "{e:?}"
        );
    }
    assert!(log.iter().all(|e| e.3 == json!(tenant)), "{log:?}");
    assert_eq!(log[0].4, json!(tenant));
    assert_eq!(log[1].4, json!(second_id));
    assert_eq!(log[2].4, json!(wh));
    assert_eq!(log[6].4, json!(ev));
    assert_eq!(log[7].4, json!(dlv));
    assert!(str_of(&log[10].4).starts_with("ses_"));
    assert_eq!(log[11].4, json!(second_id));

    // Never a secret: no key, no webhook secret anywhere in the log.
    let text = app
        .get("/api/v1/audit-log", ADMIN)
        .await
        .text()
        .await
        .unwrap();
    for secret in [
        &key,
        &str_of(&second["api_key"]),
        &str_of(&webhook["secret"]),
        &str_of(&rotated["secret"]),
    ] {
        assert!(!text.contains(secret.as_str()), "the log shows a secret");
    }
    // Deleting the tenant is recorded and outlives it.
    assert_eq!(
        app.delete(&format!("/api/v1/tenants/{tenant}"), ADMIN)
            .await
            .status(),
        204
    );
    let log = entries(&app, ADMIN, "&action=tenant.delete").await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].3.clone(), log[0].4.clone()),
        (json!(tenant), json!(tenant))
    );
}

async fn a_tenant_sees_its_own_entries_and_filters_work(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (a, key_a) = app.tenant("a").await;
    let (_, key_b) = app.tenant("b").await;
    let wh_a = str_of(&app.webhook(&key_a, json!({})).await["id"]);
    app.webhook(&key_b, json!({})).await;
    app.patch(
        &format!("/api/v1/webhooks/{wh_a}"),
        &key_a,
        json!({ "name": "x" }),
    )
    .await
    .json_ok(200)
    .await;
    let mine = entries(&app, &key_a, "").await;
    assert_eq!(
        mine.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["tenant.create", "webhook.create", "webhook.update"]
    );
    assert!(mine.iter().all(|e| e.3 == json!(a)));
    let all = entries(&app, ADMIN, "").await;
    assert_eq!(all.len(), 5);
    let updates = entries(&app, &key_a, "&action=webhook.update").await;
    assert_eq!(updates.len(), 1);
    let future = (Utc::now() + Duration::hours(1)).to_rfc3339();
    let none = entries(&app, ADMIN, &format!("&since={}", urlencode(&future))).await;
    assert!(none.is_empty());
    let body = app
        .get("/api/v1/audit-log?action=webhook.explode", &key_a)
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(body["field"], "action");
    assert!(str_of(&body["message"]).contains("webhook.update"));
    let body = app
        .get("/api/v1/audit-log?since=yesterday", &key_a)
        .await
        .error(422, "invalid_field")
        .await;
    assert_eq!(body["field"], "since");
    // Reading needs `read`; a publish-only key is refused.
    let publisher = app
        .post("/api/v1/keys", &key_a, json!({ "scopes": ["publish"] }))
        .await
        .json_ok(201)
        .await;
    let r = app
        .get("/api/v1/audit-log", &str_of(&publisher["api_key"]))
        .await;
    assert_eq!(r.status(), 403);
    // Pages follow the cursor, newest first.
    let first = app
        .get("/api/v1/audit-log?limit=2", ADMIN)
        .await
        .json_ok(200)
        .await;
    let cursor = str_of(&first["next_cursor"]);
    let rest = app
        .get(
            &format!("/api/v1/audit-log?limit=250&cursor={cursor}"),
            ADMIN,
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(
        first["data"].as_array().unwrap().len() + rest["data"].as_array().unwrap().len(),
        6
    );
    assert!(str_of(&first["data"][1]["id"]) > str_of(&rest["data"][0]["id"]));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn dashboard_changes_name_the_session_that_made_them(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, key) = app.tenant("acme").await;
    let wh = str_of(&app.webhook(&key, json!({})).await["id"]);
    let link = app
        .post(
            &format!("/api/v1/tenants/{tenant}/portal-sessions"),
            ADMIN,
            json!({}),
        )
        .await
        .json_ok(201)
        .await;
    let url = str_of(&link["url"]);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!(
            "{}{}",
            app.base,
            &url[url.find("/ui/portal/").unwrap()..]
        ))
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let r = client
        .post(format!("{}/ui/webhooks/{wh}/disable", app.base))
        .header(COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let signed_in = app.ui_session(&key).await;
    let r = client
        .post(format!("{}/ui/webhooks/{wh}/delete", app.base))
        .header(COOKIE, &signed_in)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let log = entries(&app, ADMIN, "").await;
    let tail: Vec<_> = log.iter().rev().take(2).rev().collect();
    assert_eq!(
        (tail[0].0.as_str(), tail[0].1.as_str()),
        ("webhook.update", "portal")
    );
    assert!(str_of(&tail[0].2).starts_with("ses_"));
    assert_eq!(
        (tail[1].0.as_str(), tail[1].1.as_str()),
        ("webhook.delete", "api_key")
    );
    assert!(str_of(&tail[1].2).starts_with("key_"));
    // The dashboard's page shows them: to the tenant its own, to the admin all.
    let page = client
        .get(format!("{}/ui/audit-log", app.base))
        .header(COOKIE, &signed_in)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("<code>webhook.delete</code>") && html.contains("portal"),
        "{html}"
    );
    let (_, other) = app.tenant("globex").await;
    let theirs = app.ui_session(&other).await;
    let html = client
        .get(format!("{}/ui/audit-log", app.base))
        .header(COOKIE, &theirs)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !html.contains("<code>webhook.delete</code>"),
        "another tenant's log: {html}"
    );
    let admin = app.ui_session(ADMIN).await;
    let html = client
        .get(format!("{}/ui/audit-log?action=webhook.delete", app.base))
        .header(COOKIE, &admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&tenant) && !html.contains("<code>webhook.update</code>"),
        "{html}"
    );
}

async fn old_entries_go_with_the_retention_period(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let mut old = AuditEntry::new(
        Actor::admin(),
        AuditAction::TenantCreate,
        Some("tn_x"),
        Some("tn_x"),
    );
    old.at = Utc::now() - Duration::days(31);
    app.hookwire.store().insert_audit(&old).await.unwrap();
    app.tenant("acme").await;
    let report = hookwire::retention::run_once(app.hookwire.store(), &Default::default())
        .await
        .unwrap();
    assert_eq!(report.audit_entries, 1);
    let log = entries(&app, ADMIN, "").await;
    assert_eq!(log.len(), 1, "the new entry stays: {log:?}");
}
