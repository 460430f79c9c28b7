//! The dashboard's payload filter: set, shown, refused with the path named,
//! cleared, and previewed against the tenant's recent events.
//! ([`send`] is how the dashboard tests post a form, [`page_says`] how they
//! check the answer.)

use hookwire::testing::Backend;
use reqwest::header::COOKIE;
use reqwest::{redirect, Client, Response};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, str_of, ResponseExt, TestApp};

hookwire::backend_tests!(
    the_dashboard_sets_shows_refuses_and_clears_a_filter,
    the_preview_says_which_recent_events_would_match,
);

/// Assert that a dashboard answer has `status` and its page says `text`.
pub(crate) async fn page_says(r: Response, status: u16, text: &str) {
    assert_eq!(r.status(), status);
    let page = r.text().await.unwrap_or_default();
    assert!(page.contains(text), "{text:?} is not on the page: {page}");
}

pub(crate) async fn send(
    app: &TestApp,
    key: &str,
    path: &str,
    form: Option<&[(&str, &str)]>,
) -> Response {
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .expect("client");
    let url = format!("{}{path}", app.base);
    let request = match form {
        Some(form) => client
            .post(url)
            .header("sec-fetch-site", "same-origin")
            .form(form),
        None => client.get(url),
    };
    request
        .header(COOKIE, app.ui_session(key).await)
        .send()
        .await
        .expect("request")
}

async fn the_dashboard_sets_shows_refuses_and_clears_a_filter(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let url = "https://93.184.216.34/filtered";
    let filter = r#"{"data.amount": {"$gte": 100}}"#;
    let form = |filter: &'static str| vec![("url", url), ("events", "*"), ("filter", filter)];

    let r = send(&app, &key, "/ui/webhooks", Some(&form("{not json"))).await;
    page_says(r, 422, "filter: is not JSON").await;
    let r = send(
        &app,
        &key,
        "/ui/webhooks",
        Some(&form(r#"{"data.amount": {"$gtt": 1}}"#)),
    )
    .await;
    page_says(r, 422, "filter.data.amount.$gtt:").await;
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(list["data"], json!([]), "nothing created");

    let r = send(&app, &key, "/ui/webhooks", Some(&form(filter))).await;
    assert!(r.status().is_success(), "{}", r.status());
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    let id = str_of(&list["data"][0]["id"]);
    assert_eq!(
        list["data"][0]["filter"],
        json!({"data.amount": {"$gte": 100}})
    );
    let page = send(&app, &key, &format!("/ui/webhooks/{id}"), None).await;
    let page = page.text().await.unwrap_or_default();
    assert!(
        page.contains(r#"data-testid="filter">{&quot;data.amount&quot;:{&quot;$gte&quot;:100}}"#),
        "shown on the page and in the form: {page}"
    );

    let read = || async {
        app.get(&format!("/api/v1/webhooks/{id}"), &key)
            .await
            .json_ok(200)
            .await["filter"]
            .clone()
    };
    let edit = format!("/ui/webhooks/{id}");
    let r = send(
        &app,
        &key,
        &edit,
        Some(&form(r#"{"data.amount": {"$in": 5}}"#)),
    )
    .await;
    page_says(r, 422, "filter.data.amount.$in:").await;
    assert_eq!(
        read().await,
        json!({"data.amount": {"$gte": 100}}),
        "unchanged"
    );
    let r = send(&app, &key, &edit, Some(&form(r#"{"channel": "eu"}"#))).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(read().await, json!({"channel": "eu"}));
    let r = send(&app, &key, &edit, Some(&form("  "))).await;
    assert!(r.status().is_redirection());
    assert_eq!(read().await, Value::Null, "blank: no filter");
}

async fn the_preview_says_which_recent_events_would_match(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    app.event_types(&["order.paid"]).await;
    for (amount, channel) in [(50, None), (150, Some("eu")), (500, None)] {
        let mut body = json!({ "type": "order.paid", "data": { "amount": amount } });
        if let Some(c) = channel {
            body["channel"] = json!(c);
        }
        app.publish(&key, body).await;
    }
    app.publish(
        &key,
        json!({ "type": "webhook.test", "data": { "amount": 900 } }),
    )
    .await;
    let preview = |query: &str| {
        let (app, key) = (&app, &key);
        let path = format!("/ui/filter-preview?{query}");
        async move {
            let r = send(app, key, &path, None).await;
            assert_eq!(r.status(), 200, "{path}");
            r.text().await.unwrap_or_default()
        }
    };
    let count = |page: &str, outcome: &str| {
        page.matches(&format!(r#"data-outcome="{outcome}""#))
            .count()
    };
    let filter = "%7B%22data.amount%22%3A%7B%22%24gte%22%3A100%7D%7D"; // {"data.amount":{"$gte":100}}

    let page = preview(&format!(
        "events=order.paid&channels=&filter={filter}&url=ignored"
    ))
    .await;
    assert!(
        page.contains("<strong>2</strong> of the last 4 events would be delivered"),
        "{page}"
    );
    assert_eq!(count(&page, "filtered out"), 1);
    assert_eq!(count(&page, "other event type"), 1);

    let page = preview(&format!("events=*&channels=eu&filter={filter}")).await;
    assert!(page.contains("<strong>1</strong> of the last 4"), "{page}");
    assert_eq!(count(&page, "other channel"), 3);

    let page = preview("events=*&filter=").await;
    assert!(page.contains("<strong>4</strong> of the last 4"), "{page}");

    let r = send(
        &app,
        &key,
        "/ui/filter-preview?events=*&filter=%7B%22data%22%3A%7B%22%24nope%22%3A1%7D%7D",
        None,
    )
    .await;
    page_says(r, 422, "filter.data.$nope").await;
}
