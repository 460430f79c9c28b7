//! The dashboard's ordering: chosen on the form, shown on the webhook's
//! page, and a switch with deliveries in flight refused with the reason.

use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app, str_of, ResponseExt};
use crate::ui_filters::{page_says, send};

hookwire::backend_tests!(the_dashboard_sets_and_shows_ordering_and_refuses_a_busy_switch);

async fn the_dashboard_sets_and_shows_ordering_and_refuses_a_busy_switch(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    // Nothing answers there: its deliveries stay pending or retrying.
    let url = "http://127.0.0.1:9/ordered";
    let form = |ordering: &'static str| vec![("url", url), ("events", "*"), ("ordering", ordering)];

    let r = send(&app, &key, "/ui/webhooks", Some(&form("lifo"))).await;
    page_says(r, 422, "ordering: must be none or fifo").await;
    let r = send(&app, &key, "/ui/webhooks", Some(&form("fifo"))).await;
    assert!(r.status().is_success(), "{}", r.status());
    let list = app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
    assert_eq!(
        list["data"].as_array().map(Vec::len),
        Some(1),
        "one created"
    );
    assert_eq!(list["data"][0]["ordering"], "fifo");
    let id = str_of(&list["data"][0]["id"]);
    let page = send(&app, &key, &format!("/ui/webhooks/{id}"), None).await;
    let page = page.text().await.unwrap_or_default();
    assert!(page.contains(r#"data-testid="ordering">fifo"#), "{page}");
    assert!(
        page.contains(r#"<option value="fifo" selected>"#),
        "the form shows the current choice: {page}"
    );

    app.publish(&key, json!({ "type": "webhook.test", "data": {} }))
        .await;
    let r = send(
        &app,
        &key,
        &format!("/ui/webhooks/{id}"),
        Some(&form("none")),
    )
    .await;
    page_says(r, 409, "ordering: this webhook has deliveries").await;
    let read = app
        .get(&format!("/api/v1/webhooks/{id}"), &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(read["ordering"], "fifo", "unchanged");
}
