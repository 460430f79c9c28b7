//! An attempt's record is what the receiver got: the same headers, no more and
//! no fewer (the browser test checks the dashboard shows the body bytes sent).

use std::collections::BTreeMap;

use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app, str_of};
use crate::receiver::Receiver;

hookwire::backend_tests!(the_recorded_request_headers_are_exactly_those_received);

async fn the_recorded_request_headers_are_exactly_those_received(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    app.webhook(
        &key,
        json!({ "url": rx.url("/in"), "headers": { "x-team": "billing" } }),
    )
    .await;
    let published = app
        .publish(&key, json!({ "type": "webhook.test", "data": { "n": 1 } }))
        .await;
    let id = str_of(&published["deliveries"][0]["id"]);
    let got = rx.wait_for("/in", 1).await.remove(0);
    let detail = app
        .wait_delivery(&key, &id, |d| d["status"] == "delivered")
        .await;
    let recorded: BTreeMap<String, String> = detail["attempts"][0]["request_headers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), str_of(v)))
        .collect();
    let received: BTreeMap<String, String> = got
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
        .collect();
    assert_eq!(recorded, received);
    assert!(recorded["user-agent"].starts_with("hookwire/"));
    assert_eq!(recorded["x-team"], "billing");
    assert_eq!(recorded["content-length"], got.body.len().to_string());
}
