//! The dashboard over plain HTTP: sessions, tenant isolation, cross-site form
//! posts, and forms that reject bad input without changing anything.

use hookwire::testing::Backend;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::{redirect, Client, Response};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt, TestApp, ADMIN};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    pages_need_a_session_and_a_bad_token_sets_none,
    another_tenants_webhook_is_not_found_in_the_dashboard,
    cross_site_form_posts_are_refused_and_change_nothing,
    a_rejected_form_explains_why_and_creates_nothing,
    only_the_admin_sees_tenants_and_secrets_never_show_twice,
    behind_an_https_proxy_the_session_cookie_is_secure_and_not_on_plain_http,
    the_dashboard_sets_changes_and_clears_a_rate_limit,
    the_dashboard_sets_refuses_and_removes_a_client_certificate,
    the_replay_button_delivers_an_event_again,
    failed_deliveries_are_counted_then_retried_from_the_dashboard,
);

async fn failed_deliveries_are_counted_then_retried_from_the_dashboard(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.script("/hook", vec![Answer::Status(500); 3]);
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": receiver.url("/hook"), "retry": { "max_attempts": 1 } }),
    )
    .await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let event = app
            .publish(&key, json!({ "type": "webhook.test", "data": {} }))
            .await;
        ids.push(str_of(&event["deliveries"][0]["id"]));
    }
    for id in &ids {
        app.wait_delivery(&key, id, |d| d["status"] == "failed")
            .await;
    }
    let hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    // The preview counts them and changes nothing.
    let page = get(&app, &format!("/ui/retry?since={hour_ago}"), &key)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<strong>3</strong> failed deliveries"),
        "{page}"
    );
    assert!(page.contains("Retry 3 deliveries"), "{page}");
    let page = get(
        &app,
        &format!("/ui/retry?since={hour_ago}&event_type=order.paid"),
        &key,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(page.contains("No failed deliveries"), "{page}");
    let r = get(&app, "/ui/retry?since=yesterday", &key).await;
    assert_eq!(r.status(), 422);
    for id in &ids {
        let d = app
            .get(&format!("/api/v1/deliveries/{id}"), &key)
            .await
            .json_ok(200)
            .await;
        assert_eq!(d["status"], "failed");
    }
    // Retrying queues all three again; they are delivered (the receiver now says 200).
    let r = post(
        &app,
        "/ui/retry",
        &key,
        &[("since", hour_ago.as_str()), ("event_type", "")],
    )
    .await;
    assert_eq!(
        (r.status().as_u16(), location(&r)),
        (303, "/ui/retry?done=3")
    );
    for id in &ids {
        app.wait_delivery(&key, id, |d| d["status"] == "delivered")
            .await;
    }
    let log = app
        .get("/api/v1/audit-log?action=deliveries.retry", &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(log["data"].as_array().unwrap().len(), 1);
}

async fn the_replay_button_delivers_an_event_again(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    app.webhook(&key, json!({})).await;
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let id = str_of(&event["id"]);
    let page = get(&app, &format!("/ui/events/{id}"), &key).await;
    let page = page.text().await.unwrap();
    assert!(
        page.contains(&format!("action=\"/ui/events/{id}/replay\"")),
        "{page}"
    );
    let r = post(&app, &format!("/ui/events/{id}/replay"), &key, &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/ui/events/{id}"));
    let detail = app
        .get(&format!("/api/v1/events/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(detail["deliveries"].as_array().unwrap().len(), 2);
    // Another tenant cannot replay it.
    let (_, other) = app.tenant("globex").await;
    let r = post(&app, &format!("/ui/events/{id}/replay"), &other, &[]).await;
    assert_eq!(r.status(), 404);
}

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

async fn get(app: &TestApp, path: &str, token: &str) -> Response {
    client()
        .get(format!("{}{path}", app.base))
        .header(COOKIE, app.ui_session(token).await)
        .send()
        .await
        .expect("request")
}

async fn post(app: &TestApp, path: &str, token: &str, form: &[(&str, &str)]) -> Response {
    client()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, app.ui_session(token).await)
        .header("sec-fetch-site", "same-origin")
        .form(form)
        .send()
        .await
        .expect("request")
}

fn location(r: &Response) -> &str {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

async fn pages_need_a_session_and_a_bad_token_sets_none(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let r = client()
        .get(format!("{}/ui/webhooks", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/ui/login"));
    let r = get(&app, "/ui/webhooks", "hwk_not_a_key").await;
    assert_eq!((r.status().as_u16(), location(&r)), (303, "/ui/login"));
    let r = client()
        .post(format!("{}/ui/login", app.base))
        .form(&[("token", "hwk_not_a_key")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    let (_, key) = app.tenant("acme").await;
    let r = client()
        .post(format!("{}/ui/login", app.base))
        .form(&[("token", key.as_str())])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_eq!(location(&r), "/ui/webhooks");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
}

async fn another_tenants_webhook_is_not_found_in_the_dashboard(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant_a, key_a) = app.tenant("a").await;
    let (_, key_b) = app.tenant("b").await;
    let id = str_of(&app.webhook(&key_a, json!({})).await["id"]);
    assert_eq!(
        get(&app, &format!("/ui/webhooks/{id}"), &key_a)
            .await
            .status(),
        200
    );
    assert_eq!(
        get(&app, &format!("/ui/webhooks/{id}"), &key_b)
            .await
            .status(),
        404
    );
    let list = get(&app, "/ui/webhooks", &key_b)
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&id));
    for action in ["test", "disable", "rotate", "delete"] {
        let r = post(&app, &format!("/ui/webhooks/{id}/{action}"), &key_b, &[]).await;
        assert_eq!(r.status(), 404, "{action}");
    }
    // Still there, still active, same secret.
    let (tenant_a, id) = (tenant_a.as_str().into(), id.as_str().into());
    let w = app.hookwire.webhook(&tenant_a, &id).await;
    let w = w.expect("webhook survives");
    assert!(w.is_active);
    assert!(w.previous_secret.is_none());
}

async fn cross_site_form_posts_are_refused_and_change_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, key) = app.tenant("acme").await;
    let id = str_of(&app.webhook(&key, json!({})).await["id"]);
    let path = format!("{}/ui/webhooks/{id}/delete", app.base);
    let by_fetch_site = client()
        .post(&path)
        .header(COOKIE, app.ui_session(&key).await)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(by_fetch_site.status(), 403);
    let by_origin = client()
        .post(&path)
        .header(COOKIE, app.ui_session(&key).await)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), 403);
    assert!(app
        .hookwire
        .webhook(&tenant.as_str().into(), &id.as_str().into())
        .await
        .is_ok());
    let same_site = post(&app, &format!("/ui/webhooks/{id}/delete"), &key, &[]).await;
    assert_eq!(same_site.status(), 303);
    assert!(app
        .hookwire
        .webhook(&tenant.as_str().into(), &id.as_str().into())
        .await
        .is_err());
}

async fn a_rejected_form_explains_why_and_creates_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let r = post(
        &app,
        "/ui/webhooks",
        &key,
        &[("url", "ftp://example.com/x"), ("events", "*")],
    )
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("url:"), "names the field: {page}");
    assert!(page.contains("ftp://example.com/x"), "keeps what was typed");
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0));

    let id = str_of(&app.webhook(&key, json!({})).await["id"]);
    let r = post(
        &app,
        &format!("/ui/webhooks/{id}/recover"),
        &key,
        &[("since", "yesterday")],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("since"));
    let r = post(
        &app,
        &format!("/ui/webhooks/{id}"),
        &key,
        &[
            ("url", "https://93.184.216.34/"),
            ("events", "no.such.type"),
        ],
    )
    .await;
    assert_eq!(r.status(), 422);
    let after = app
        .get(&format!("/api/v1/webhooks/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(
        after["events"],
        json!(["*"]),
        "a rejected edit changes nothing"
    );
}

async fn only_the_admin_sees_tenants_and_secrets_never_show_twice(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, key) = app.tenant("acme").await;
    assert_eq!(get(&app, "/ui/tenants", &key).await.status(), 403);
    assert_eq!(get(&app, "/ui/tenants", ADMIN).await.status(), 200);
    // The admin without a tenant picked is sent to pick one.
    let r = get(&app, "/ui/webhooks", ADMIN).await;
    assert_eq!(location(&r), "/ui/tenants");
    let picked = post(
        &app,
        "/ui/tenants/select",
        ADMIN,
        &[("tenant_id", tenant.as_str())],
    )
    .await;
    assert_eq!(location(&picked), "/ui/webhooks");

    let created = post(
        &app,
        "/ui/webhooks",
        &key,
        &[("url", "https://93.184.216.34/"), ("events", "*")],
    )
    .await;
    let page = created.text().await.unwrap();
    let secret = page
        .split("data-testid=\"secret\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("secret on the created page")
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = str_of(&app.get("/api/v1/webhooks", &key).await.json_ok(200).await["data"][0]["id"]);
    let later = get(&app, &format!("/ui/webhooks/{id}"), &key)
        .await
        .text()
        .await
        .unwrap();
    assert!(!later.contains(&secret), "the secret is shown only once");
    let listed = get(&app, "/ui/webhooks", &key).await.text().await.unwrap();
    assert!(!listed.contains(&secret));
}

async fn behind_an_https_proxy_the_session_cookie_is_secure_and_not_on_plain_http(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let login = |proxy: Option<(&'static str, &'static str)>| {
        let mut req = client()
            .post(format!("{}/ui/login", app.base))
            .form(&[("token", key.as_str())]);
        if let Some((name, value)) = proxy {
            req = req.header(name, value);
        }
        req.send()
    };
    let cookie_of = |r: &Response| {
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("hookwire_session="))
            .expect("a session cookie")
            .to_owned()
    };
    let plain = cookie_of(&login(None).await.unwrap());
    assert!(!plain.contains("Secure"), "{plain}");
    for proxy in [
        ("x-forwarded-proto", "https"),
        ("forwarded", "for=192.0.2.60;proto=https;by=203.0.113.43"),
    ] {
        let secure = cookie_of(&login(Some(proxy)).await.unwrap());
        assert!(secure.contains("Secure"), "{proxy:?}: {secure}");
        assert!(secure.contains("HttpOnly"), "{secure}");
    }
    let http = cookie_of(&login(Some(("x-forwarded-proto", "http"))).await.unwrap());
    assert!(!http.contains("Secure"), "{http}");
}

async fn the_dashboard_sets_changes_and_clears_a_rate_limit(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let url = "https://93.184.216.34/limited";
    let r = post(
        &app,
        "/ui/webhooks",
        &key,
        &[("url", url), ("events", "*"), ("rate_limit", "5")],
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    let id = str_of(&list["data"][0]["id"]);
    assert_eq!(list["data"][0]["rate_limit_per_second"], 5);
    let page = get(&app, &format!("/ui/webhooks/{id}"), &key).await;
    let page = page.text().await.unwrap();
    assert!(page.contains("5 requests/s"), "shown: {page}");

    let edit = |limit: &'static str| {
        let (app, key, id) = (&app, &key, &id);
        async move {
            post(
                app,
                &format!("/ui/webhooks/{id}"),
                key,
                &[("url", url), ("events", "*"), ("rate_limit", limit)],
            )
            .await
        }
    };
    let r = edit("many").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("rate_limit_per_second:"));
    let limit = |v: Value| v["rate_limit_per_second"].clone();
    let read = || async {
        app.get(&format!("/api/v1/webhooks/{id}"), &key)
            .await
            .json_ok(200)
            .await
    };
    assert_eq!(limit(read().await), 5, "a rejected edit changes nothing");
    assert!(edit("20").await.status().is_redirection());
    assert_eq!(limit(read().await), 20);
    assert!(edit("").await.status().is_redirection());
    assert_eq!(limit(read().await), Value::Null, "blank: no limit");
}

async fn the_dashboard_sets_refuses_and_removes_a_client_certificate(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = hookwire::testing::tls_receiver::TlsReceiver::start()
        .await
        .expect("a certificate authority");
    let pair = rx.issue_client_certificate("dashboard");
    let (_, key) = app.tenant("acme").await;
    let url = "https://93.184.216.34/mtls";
    let r = post(
        &app,
        "/ui/webhooks",
        &key,
        &[
            ("url", url),
            ("events", "*"),
            ("client_cert_pem", &pair.cert_pem),
            ("client_key_pem", &pair.key_pem),
        ],
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    let id = str_of(&list["data"][0]["id"]);
    assert_eq!(list["data"][0]["has_client_certificate"], true);
    let page = get(&app, &format!("/ui/webhooks/{id}"), &key).await;
    let page = page.text().await.unwrap();
    assert!(page.contains("presented when the receiver asks"), "{page}");
    for pem in [&pair.cert_pem, &pair.key_pem] {
        let body = pem.lines().nth(1).expect("a base64 line");
        assert!(!page.contains(body), "the PEM is never shown back");
    }

    let edit = |fields: &'static [(&'static str, &'static str)]| {
        let (app, key, id) = (&app, &key, &id);
        async move {
            let mut all = vec![("url", url), ("events", "*")];
            all.extend_from_slice(fields);
            post(app, &format!("/ui/webhooks/{id}"), key, &all).await
        }
    };
    let has = || async {
        app.get(&format!("/api/v1/webhooks/{id}"), &key)
            .await
            .json_ok(200)
            .await["has_client_certificate"]
            .clone()
    };
    let r = edit(&[("client_cert_pem", "not pem")]).await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("client_certificate.cert_pem:"));
    assert_eq!(has().await, true, "a rejected edit changes nothing");
    assert!(edit(&[]).await.status().is_redirection());
    assert_eq!(has().await, true, "blank boxes keep it");
    let r = edit(&[("remove_client_certificate", "on")]).await;
    assert!(r.status().is_redirection());
    assert_eq!(has().await, false);
}
