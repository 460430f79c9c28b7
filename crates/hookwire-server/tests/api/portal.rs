//! Portal links and server-side dashboard sessions: a link opens the dashboard
//! as one tenant (read-only if asked), no API key reaches the browser, signing
//! out or revoking the key ends a session, expired links say so, and the
//! dashboard can be framed only by the configured origins.

use chrono::{Duration, Utc};
use hookwire::model::{DashboardSession, SessionKind};
use hookwire::testing::Backend;
use reqwest::header::{COOKIE, LOCATION};
use reqwest::{redirect, Client, Response};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, spawn_app_with, str_of, ResponseExt, TestApp, ADMIN};

hookwire::backend_tests!(
    a_portal_link_opens_the_dashboard_as_its_tenant_alone,
    a_read_only_link_hides_and_refuses_every_change,
    expired_and_unknown_links_show_the_sign_in_page_saying_so,
    bad_portal_requests_name_the_field_and_make_nothing,
    signing_in_keeps_a_session_not_the_key_and_it_ends_with_the_key,
    only_the_configured_origins_may_frame_the_dashboard,
);

fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client")
}

fn location(r: &Response) -> String {
    r.headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

fn session_cookie(r: &Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("hookwire_session=") && !c.starts_with("hookwire_session=;"))
        .map(str::to_owned)
}

/// Open a portal link's path on `app`: the `Cookie` value it sets.
async fn open(app: &TestApp, url: &str) -> String {
    let path = &url[url.find("/ui/portal/").expect("a portal path")..];
    let r = client()
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), location(&r).as_str()),
        (303, "/ui/webhooks")
    );
    let cookie = session_cookie(&r).expect("a session cookie");
    cookie.split(';').next().unwrap().to_owned()
}

async fn page(app: &TestApp, path: &str, cookie: &str) -> Response {
    client()
        .get(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

async fn form(app: &TestApp, path: &str, cookie: &str) -> Response {
    client()
        .post(format!("{}{path}", app.base))
        .header(COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .form(&[("unused", "")])
        .send()
        .await
        .unwrap()
}

async fn a_portal_link_opens_the_dashboard_as_its_tenant_alone(b: Backend) {
    let Some(app) = spawn_app_with(b, |c| {
        c.public_url = Some("https://hooks.example.com/".into())
    })
    .await
    else {
        return;
    };
    let (tenant, key) = app.tenant("acme").await;
    let (_, other_key) = app.tenant("globex").await;
    let mine = str_of(&app.webhook(&key, json!({ "name": "acme-hook" })).await["id"]);
    let theirs = str_of(
        &app.webhook(&other_key, json!({ "name": "globex-hook" }))
            .await["id"],
    );

    let started = Utc::now();
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
    assert!(
        url.starts_with("https://hooks.example.com/ui/portal/hws_"),
        "{url}"
    );
    let expires: chrono::DateTime<Utc> = link["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(
        expires > started + Duration::minutes(59) && expires < Utc::now() + Duration::minutes(61)
    );

    let cookie = open(&app, &url).await;
    assert!(!cookie.contains(&key) && !url.contains(&key));
    let list = page(&app, "/ui/webhooks", &cookie).await;
    assert_eq!(list.status(), 200);
    let html = list.text().await.unwrap();
    assert!(
        html.contains("acme-hook") && html.contains("Create webhook"),
        "{html}"
    );
    assert!(
        !html.contains("globex-hook") && !html.contains("hwk_"),
        "{html}"
    );
    assert!(
        !html.contains("href=\"/ui/tenants\""),
        "no tenant switcher: {html}"
    );
    assert_eq!(
        page(&app, &format!("/ui/webhooks/{mine}"), &cookie)
            .await
            .status(),
        200
    );
    assert_eq!(
        page(&app, &format!("/ui/webhooks/{theirs}"), &cookie)
            .await
            .status(),
        404
    );
    assert_eq!(page(&app, "/ui/tenants", &cookie).await.status(), 403);
    // Not read-only: it may change its own webhooks.
    let r = form(&app, &format!("/ui/webhooks/{mine}/disable"), &cookie).await;
    assert_eq!(r.status(), 303);
    let view = app
        .get(&format!("/api/v1/webhooks/{mine}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(view["is_active"], false);

    // A tenant makes its own link with its key (needs manage).
    let own = app
        .post(
            "/api/v1/portal-sessions",
            &key,
            json!({ "expires_in_seconds": 600 }),
        )
        .await
        .json_ok(201)
        .await;
    let cookie = open(&app, &str_of(&own["url"])).await;
    let html = page(&app, "/ui/webhooks", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("acme-hook") && !html.contains("globex-hook"));
}

async fn a_read_only_link_hides_and_refuses_every_change(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, key) = app.tenant("acme").await;
    let id = str_of(&app.webhook(&key, json!({ "name": "acme-hook" })).await["id"]);
    let event = app
        .publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let event_id = str_of(&event["id"]);
    let delivery_id = str_of(&event["deliveries"][0]["id"]);
    let link = app
        .post(
            &format!("/api/v1/tenants/{tenant}/portal-sessions"),
            ADMIN,
            json!({ "read_only": true }),
        )
        .await
        .json_ok(201)
        .await;
    let cookie = open(&app, &str_of(&link["url"])).await;

    for (path, controls) in [
        ("/ui/webhooks".to_owned(), vec!["Create webhook"]),
        (
            format!("/ui/webhooks/{id}"),
            vec![
                "Send test event",
                "Rotate secret",
                "Delete",
                "Recover",
                "Save changes",
                "Disable",
            ],
        ),
        (format!("/ui/events/{event_id}"), vec!["Replay"]),
        (format!("/ui/deliveries/{delivery_id}"), vec!["Redeliver"]),
    ] {
        let r = page(&app, &path, &cookie).await;
        assert_eq!(r.status(), 200, "{path}");
        let html = r.text().await.unwrap();
        assert!(html.contains("data-testid=\"read-only\""), "{path}: {html}");
        assert!(
            !html.contains("method=\"post\" action=\"/ui/webhooks"),
            "{path}: {html}"
        );
        for control in controls {
            assert!(
                !html.contains(&format!(">{control}<")),
                "{path} shows {control}"
            );
        }
    }
    for path in [
        format!("/ui/webhooks/{id}/delete"),
        format!("/ui/webhooks/{id}/disable"),
        format!("/ui/webhooks/{id}/rotate"),
        format!("/ui/events/{event_id}/replay"),
        format!("/ui/deliveries/{delivery_id}/retry"),
        "/ui/webhooks".to_owned(),
    ] {
        assert_eq!(form(&app, &path, &cookie).await.status(), 403, "{path}");
    }
    let view = app
        .get(&format!("/api/v1/webhooks/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(view["is_active"], true);
    let webhooks = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(webhooks["data"].as_array().unwrap().len(), 1);
    let detail = app
        .get(&format!("/api/v1/events/{event_id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(detail["deliveries"].as_array().unwrap().len(), 1);
    // Signing out is allowed, and ends the session.
    let r = form(&app, "/ui/logout", &cookie).await;
    assert_eq!(
        (r.status().as_u16(), location(&r).as_str()),
        (303, "/ui/login")
    );
    let r = page(&app, "/ui/webhooks", &cookie).await;
    assert_eq!(
        (r.status().as_u16(), location(&r).as_str()),
        (303, "/ui/login")
    );
}

async fn expired_and_unknown_links_show_the_sign_in_page_saying_so(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, _) = app.tenant("acme").await;
    let (expired, token) = DashboardSession::new(
        SessionKind::Portal,
        Some(tenant.as_str().into()),
        None,
        false,
        Utc::now() - Duration::seconds(1),
    );
    app.hookwire.store().insert_session(&expired).await.unwrap();
    for token in [token.as_str(), "hws_unknown"] {
        let r = client()
            .get(format!("{}/ui/portal/{token}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(session_cookie(&r).is_none());
        let html = r.text().await.unwrap();
        assert!(
            html.contains("This link has expired") && html.contains("name=\"token\""),
            "{html}"
        );
    }
    // An expired session in a cookie admits nobody either.
    let r = page(&app, "/ui/webhooks", &format!("hookwire_session={token}")).await;
    assert_eq!(
        (r.status().as_u16(), location(&r).as_str()),
        (303, "/ui/login")
    );
    // The retention job deletes it.
    let report = hookwire::retention::run_once(app.hookwire.store(), &Default::default())
        .await
        .unwrap();
    assert_eq!(report.sessions, 1);
}

async fn bad_portal_requests_name_the_field_and_make_nothing(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (tenant, key) = app.tenant("acme").await;
    let path = format!("/api/v1/tenants/{tenant}/portal-sessions");
    for (body, field) in [
        (json!({ "expires_in_seconds": 59 }), "expires_in_seconds"),
        (
            json!({ "expires_in_seconds": 86_401 }),
            "expires_in_seconds",
        ),
        (
            json!({ "expires_in_seconds": "soon" }),
            "expires_in_seconds",
        ),
        (json!({ "read_only": "yes" }), "read_only"),
        (json!({ "lifetime": 60 }), "lifetime"),
    ] {
        let r = app.post(&path, ADMIN, body.clone()).await;
        let status = r.status().as_u16();
        let error: Value = r.json().await.unwrap();
        assert!(matches!(status, 400 | 422), "{body}: {status}");
        assert!(
            error["message"].as_str().unwrap().contains(field)
                || error["field"].as_str() == Some(field),
            "{body}: {error}"
        );
    }
    let r = app
        .post(
            "/api/v1/tenants/tn_missing/portal-sessions",
            ADMIN,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .post("/api/v1/portal-sessions", "hwk_not_a_key", json!({}))
        .await;
    assert_eq!(r.status(), 401);
    let reader = app
        .post("/api/v1/keys", &key, json!({ "scopes": ["read"] }))
        .await
        .json_ok(201)
        .await;
    let r = app
        .post(
            "/api/v1/portal-sessions",
            &str_of(&reader["api_key"]),
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);
    // A tenant key cannot make links for another tenant.
    let (other, _) = app.tenant("globex").await;
    let r = app
        .post(
            &format!("/api/v1/tenants/{other}/portal-sessions"),
            &key,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 403);
    // Nothing was stored: the retention job finds nothing to expire later, and
    // no link works.
    let report = hookwire::retention::run_once(app.hookwire.store(), &Default::default())
        .await
        .unwrap();
    assert_eq!(report.sessions, 0);
}

async fn signing_in_keeps_a_session_not_the_key_and_it_ends_with_the_key(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let cookie = app.ui_session(&key).await;
    assert!(
        cookie.starts_with("hookwire_session=hws_") && !cookie.contains(&key),
        "{cookie}"
    );
    assert_eq!(page(&app, "/ui/webhooks", &cookie).await.status(), 200);
    let admin = app.ui_session(ADMIN).await;
    assert!(admin.starts_with("hookwire_session=hws_") && !admin.contains(ADMIN));
    assert_eq!(page(&app, "/ui/tenants", &admin).await.status(), 200);

    // Signing out ends the session on the server, not only in the browser.
    let r = form(&app, "/ui/logout", &cookie).await;
    assert_eq!(r.status(), 303);
    let r = page(&app, "/ui/webhooks", &cookie).await;
    assert_eq!(
        (r.status().as_u16(), location(&r).as_str()),
        (303, "/ui/login")
    );

    // Revoking the key ends the sessions made with it.
    let second = app
        .post("/api/v1/keys", &key, json!({}))
        .await
        .json_ok(201)
        .await;
    let cookie = app.ui_session(&str_of(&second["api_key"])).await;
    assert_eq!(page(&app, "/ui/webhooks", &cookie).await.status(), 200);
    let r = app
        .delete(&format!("/api/v1/keys/{}", str_of(&second["id"])), &key)
        .await;
    assert_eq!(r.status(), 204);
    let r = page(&app, "/ui/webhooks", &cookie).await;
    assert_eq!(
        (r.status().as_u16(), location(&r).as_str()),
        (303, "/ui/login")
    );
}

async fn only_the_configured_origins_may_frame_the_dashboard(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let r = client()
        .get(format!("{}/ui/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-security-policy"],
        "frame-ancestors 'none'"
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");

    let Some(app) = spawn_app_with(b, |c| {
        c.portal_frame_ancestors = vec!["https://app.example.com".into()];
    })
    .await
    else {
        return;
    };
    let r = client()
        .get(format!("{}/ui/login", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-security-policy"],
        "frame-ancestors 'self' https://app.example.com"
    );
    assert!(r.headers().get("x-frame-options").is_none());
    let (tenant, _) = app.tenant("acme").await;
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
    let r = client()
        .get(format!(
            "{}{}",
            app.base,
            &url[url.find("/ui/portal/").unwrap()..]
        ))
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&r).expect("a session cookie");
    for attr in ["SameSite=None", "Secure", "Partitioned", "HttpOnly"] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
}
