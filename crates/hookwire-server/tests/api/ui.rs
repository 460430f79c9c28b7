//! The dashboard in a real headless Chromium: sign in, create a webhook pointing
//! at a real receiver, send a test event, watch a failing redelivery and its
//! retry land live. Screenshots of every page go to `artifacts/ui/<backend>/`.

use hookwire::testing::Backend;
use serde_json::json;

use crate::browser::{launch, Browser};
use crate::helpers::{spawn_app, str_of, TestApp, ADMIN};
use crate::receiver::{Answer, Receiver};

hookwire::backend_tests!(
    a_browser_user_sees_a_redelivery_fail_and_its_retry_land,
    a_customer_uses_portal_links_in_a_browser,
);

/// What a SaaS's customer sees through portal links: their own webhooks, a
/// test send and its attempts, 404 for another tenant's webhook; through a
/// read-only link no control that changes anything and a forged POST refused;
/// the link after signing out says it has expired. No cookie or page ever
/// holds an API key.
async fn a_customer_uses_portal_links_in_a_browser(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let artifacts = if b == Backend::Sqlite {
        "portal-sqlite"
    } else {
        "portal-postgres"
    };
    let Some(browser) = launch(artifacts).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (tenant, key) = app.tenant("acme").await;
    let (_, other) = app.tenant("globex").await;
    let mine = str_of(
        &app.webhook(
            &key,
            json!({ "name": "Acme orders", "url": receiver.url("/hook") }),
        )
        .await["id"],
    );
    let theirs = str_of(
        &app.webhook(&other, json!({ "name": "Globex orders" }))
            .await["id"],
    );
    let link = |read_only: bool| {
        let app = &app;
        let tenant = tenant.clone();
        async move {
            let link = app
                .post(
                    &format!("/api/v1/tenants/{tenant}/portal-sessions"),
                    ADMIN,
                    json!({ "read_only": read_only, "expires_in_seconds": 600 }),
                )
                .await
                .json::<serde_json::Value>()
                .await
                .expect("json");
            let url = str_of(&link["url"]);
            url[url.find("/ui/portal/").expect("a portal path")..].to_owned()
        }
    };
    let no_key_anywhere = |page: String| {
        assert!(
            !page.contains(&key) && !page.contains("hwk_"),
            "a page shows a key"
        );
    };
    let cookies_hold_no_key = || async {
        for cookie in browser.client.get_all_cookies().await.expect("cookies") {
            assert!(
                !cookie.value().contains("hwk_") && !cookie.value().contains(&key),
                "a cookie holds a key: {}",
                cookie.name()
            );
        }
    };

    // A full link: the tenant's webhooks, a test send and its attempts.
    let full = link(false).await;
    browser.goto(&format!("{}{full}", app.base)).await;
    assert_eq!(browser.path().await, "/ui/webhooks", "the link signs in");
    cookies_hold_no_key().await;
    let body = browser.body().await;
    assert!(body.contains("Acme orders") && !body.contains("Globex orders"));
    no_key_anywhere(body);
    browser.shot("01-portal-webhooks").await;
    browser.follow("Acme orders").await;
    browser.press("Send test event").await;
    assert!(browser.path().await.starts_with("/ui/deliveries/"));
    browser
        .wait_for("the test attempt", |b| b.contains("200"))
        .await;
    no_key_anywhere(browser.body().await);
    browser.shot("02-portal-test-delivery").await;
    browser
        .goto(&format!("{}/ui/webhooks/{theirs}", app.base))
        .await;
    assert!(
        browser.body().await.contains("Not Found"),
        "another tenant's webhook"
    );
    browser
        .goto(&format!("{}/ui/webhooks/{mine}", app.base))
        .await;
    browser.press("Sign out").await;

    // A read-only link: everything shown, nothing that changes it.
    let read_only = link(true).await;
    browser.goto(&format!("{}{read_only}", app.base)).await;
    assert_eq!(browser.path().await, "/ui/webhooks");
    cookies_hold_no_key().await;
    let header = browser.text("header").await;
    assert!(
        header.contains("acme") && header.contains("read-only"),
        "{header}"
    );
    assert!(!header.contains("Tenants"), "no tenant switcher: {header}");
    let body = browser.body().await;
    assert!(!body.contains("Create webhook"));
    no_key_anywhere(body);
    browser.follow("Acme orders").await;
    let body = browser.body().await;
    for control in ["Send test event", "Rotate secret", "Delete", "Save changes"] {
        assert!(!body.contains(control), "a read-only page shows {control}");
    }
    browser.shot("03-portal-read-only").await;
    // A POST forged from the page itself is refused, and changes nothing.
    let status = browser
        .client
        .execute(
            &format!("return fetch('/ui/webhooks/{mine}/delete', {{method: 'POST'}}).then(r => r.status);"),
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(status, json!(403));
    assert_eq!(
        app.get(&format!("/api/v1/webhooks/{mine}"), &key)
            .await
            .status(),
        200
    );

    browser.press("Sign out").await;
    assert_eq!(browser.path().await, "/ui/login");
    browser.goto(&format!("{}{read_only}", app.base)).await;
    assert!(browser.body().await.contains("This link has expired"));
    browser.shot("04-portal-link-expired").await;
    browser.quit().await;
}

async fn a_browser_user_sees_a_redelivery_fail_and_its_retry_land(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let Some(browser) = launch(if b == Backend::Sqlite {
        "sqlite"
    } else {
        "postgres"
    })
    .await
    else {
        return;
    };
    let receiver = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    app.event_types(&["order.paid"]).await;
    let ui = |path: &str| format!("{}/ui{path}", app.base);

    // The site's root and `/ui/` lead to the dashboard; without a session, to
    // sign-in.
    for entry in ["/", "/ui/", "/ui"] {
        browser.goto(&format!("{}{entry}", app.base)).await;
        assert_eq!(browser.path().await, "/ui/login", "{entry}");
    }
    // Signing in with a wrong key is refused; the right one opens the webhooks.
    browser.goto(&ui("/webhooks")).await;
    assert_eq!(browser.path().await, "/ui/login", "no session: to sign-in");
    browser.shot("01-sign-in").await;
    browser.fill("token", "hwk_wrong").await;
    browser.press("Sign in").await;
    assert!(browser.body().await.contains("not a valid API key"));
    browser.fill("token", &key).await;
    browser.press("Sign in").await;
    assert_eq!(browser.path().await, "/ui/webhooks");
    assert!(
        browser.text("header").await.contains("acme"),
        "the tenant's name"
    );
    browser.shot("02-webhooks-empty").await;

    // Create a webhook; its secret is shown once.
    browser.fill("url", &receiver.url("/hook")).await;
    browser.fill("name", "Orders receiver").await;
    browser.fill("events", "order.*, webhook.test").await;
    browser.press("Create webhook").await;
    let secret = browser.text("[data-testid=secret]").await;
    assert!(secret.starts_with("whsec_"), "secret shown: {secret}");
    browser.shot("03-webhook-created").await;
    browser.follow("Go to the webhook").await;
    let webhook_path = browser.path().await;
    assert!(webhook_path.starts_with("/ui/webhooks/wh_"));

    // A test event is delivered, and its delivery page shows the attempt.
    browser.press("Send test event").await;
    assert!(browser.path().await.starts_with("/ui/deliveries/dlv_"));
    assert_eq!(browser.text("[data-testid=status]").await, "delivered");
    receiver.wait_for("/hook", 1).await;
    let body = browser.body().await;
    assert!(body.contains("Attempt 1 · HTTP 200"), "{body}");
    assert!(
        body.contains("webhook-signature"),
        "request headers shown: {body}"
    );
    // The body shown is the exact bytes received (and signed).
    let received = receiver.at("/hook").remove(0).body;
    assert_eq!(
        browser.text("[data-testid=request-body]").await.as_bytes(),
        &received[..]
    );
    browser.shot("04-delivery-delivered").await;

    // The receiver fails once: Redeliver shows the failed attempt, then the retry
    // landing, without a reload (the marker survives).
    receiver.script("/hook", vec![Answer::Status(500)]);
    browser.press("Redeliver").await;
    browser
        .client
        .execute("window.__noReload = 42; return 0;", vec![])
        .await
        .expect("set marker");
    browser
        .wait_for("the failed attempt", |t| t.contains("HTTP 500"))
        .await;
    browser.shot("05-delivery-failed-attempt").await;
    let done = browser
        .wait_for("the retry delivered", |t| {
            t.contains("Attempt 3 · HTTP 200")
        })
        .await;
    assert!(done.contains("Attempt 2 · HTTP 500"), "{done}");
    assert_eq!(browser.text("[data-testid=status]").await, "delivered");
    let marker = browser
        .client
        .execute("return window.__noReload;", vec![])
        .await
        .expect("read marker");
    assert_eq!(
        marker,
        json!(42),
        "the page was reloaded instead of updated"
    );
    assert_eq!(receiver.at("/hook").len(), 3);
    browser.shot("06-delivery-retried").await;

    // Events published through the API show on the webhook's chart and the events page.
    for n in 0..3 {
        app.publish(&key, json!({ "type": "order.paid", "data": { "n": n } }))
            .await;
    }
    receiver.wait_for("/hook", 6).await;
    browser.goto(&format!("{}{webhook_path}", app.base)).await;
    browser
        .wait_for("four deliveries counted", |t| t.contains("Deliveries\n4"))
        .await;
    let chart = browser.text("figure.chart").await;
    assert!(
        chart.contains("UTC"),
        "the chart's times say their zone: {chart}"
    );
    browser.shot("07-webhook-chart").await;
    a_refused_connection_reads_as_words(&browser, &app, &key).await;
    pages_at_phone_width(&browser, &app, &webhook_path).await;
    admin_switches_tenant(&browser, &app).await;
    browser.quit().await;
}

async fn a_refused_connection_reads_as_words(browser: &Browser, app: &TestApp, key: &str) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    app.event_types(&["order.refunded"]).await;
    let hook = app
        .webhook(
            key,
            json!({ "url": format!("http://127.0.0.1:{closed}/gone"), "events": ["order.refunded"],
                    "retry": { "max_attempts": 1 } }),
        )
        .await;
    let published = app
        .publish(key, json!({ "type": "order.refunded", "data": {} }))
        .await;
    let id = published["deliveries"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|d| d["webhook_id"] == hook["id"])
        .map(|d| str_of(&d["id"]))
        .expect("a delivery to the closed port");
    app.wait_delivery(key, &id, |d| d["status"] == "failed")
        .await;
    browser
        .goto(&format!("{}/ui/deliveries/{id}", app.base))
        .await;
    assert_eq!(
        browser.text("[data-testid=attempt-error]").await,
        format!("connection refused by 127.0.0.1:{closed}")
    );
    assert!(browser.body().await.contains("Error details"));
    browser.shot("07b-delivery-refused").await;
    app.delete(&format!("/api/v1/webhooks/{}", str_of(&hook["id"])), key)
        .await;
}

async fn pages_at_phone_width(browser: &Browser, app: &TestApp, webhook_path: &str) {
    browser.goto(&format!("{}/ui/events", app.base)).await;
    browser.fill("type", "order.paid").await;
    browser.press("Filter").await;
    let body = browser.body().await;
    assert!(body.matches("order.paid").count() >= 3, "{body}");
    assert!(!body.contains("webhook.test\n"), "filtered out: {body}");
    browser.shot("08-events").await;
    browser.click(fantoccini::Locator::Css("td a")).await;
    assert!(browser.body().await.contains("\"n\":"));
    browser.shot("09-event").await;
    browser.goto(&format!("{}/ui/event-types", app.base)).await;
    assert!(browser.body().await.contains("order.paid"));
    browser.shot("10-event-types").await;
    browser
        .client
        .set_window_size(390, 844)
        .await
        .expect("phone size");
    browser.goto(&format!("{}{webhook_path}", app.base)).await;
    let overflow = browser
        .client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(
        overflow,
        json!(false),
        "the page scrolls sideways at phone width"
    );
    browser.shot("11-webhook-phone").await;
    // The webhook list's table fits the phone's width.
    browser.goto(&format!("{}/ui/webhooks", app.base)).await;
    let fits = browser
        .client
        .execute(
            "const t = document.querySelector('table'); \
             return t.scrollWidth <= t.parentElement.clientWidth + 1 \
                 && document.documentElement.scrollWidth <= window.innerWidth + 1;",
            vec![],
        )
        .await
        .expect("measure");
    browser.shot("11b-webhooks-phone").await;
    assert_eq!(
        fits,
        json!(true),
        "the webhook table scrolls sideways at phone width"
    );
    browser
        .client
        .set_window_size(1280, 1000)
        .await
        .expect("desktop size");
}

async fn admin_switches_tenant(browser: &Browser, app: &TestApp) {
    browser.press("Sign out").await;
    assert_eq!(browser.path().await, "/ui/login");
    browser.fill("token", ADMIN).await;
    browser.press("Sign in").await;
    assert_eq!(browser.path().await, "/ui/tenants");
    browser.shot("12-admin-tenants").await;
    browser.press("Open").await;
    assert!(browser.body().await.contains("Orders receiver"));
    // The admin's API view agrees with what the page shows.
    let tenants = app
        .get("/api/v1/tenants", ADMIN)
        .await
        .json::<serde_json::Value>()
        .await;
    let name = str_of(&tenants.expect("json")["data"][0]["name"]);
    assert!(browser.text("header").await.contains(&name));
}
