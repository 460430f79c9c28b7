//! The `egress_proxy` config key: a server so configured sends its
//! deliveries and test sends through the proxy, signed as ever.

use hookwire::testing::forward_proxy::ForwardProxy;
use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app_with, str_of, ResponseExt};
use crate::receiver::Receiver;

hookwire::backend_tests!(deliveries_and_test_sends_go_through_the_egress_proxy);

async fn deliveries_and_test_sends_go_through_the_egress_proxy(b: Backend) {
    let proxy = ForwardProxy::start().await.unwrap();
    let via = proxy.url.clone();
    let Some(app) = spawn_app_with(b, |c| c.egress_proxy = Some(via)).await else {
        return;
    };
    let rx = Receiver::start().await;
    let (_, key) = app.tenant("acme").await;
    let webhook = app.webhook(&key, json!({ "url": rx.url("/hook") })).await;
    app.publish(&key, json!({ "type": "webhook.test", "data": { "n": 1 } }))
        .await;
    let got = rx.wait_for("/hook", 1).await;
    assert!(got[0].headers.contains_key("webhook-signature"));
    let line = format!("POST {} HTTP/1.1", rx.url("/hook"));
    assert_eq!(proxy.seen().as_slice(), std::slice::from_ref(&line));

    let id = str_of(&webhook["id"]);
    let test = app
        .post(&format!("/api/v1/webhooks/{id}/test"), &key, json!({}))
        .await
        .json_ok(200)
        .await;
    assert_eq!(test["http_status"], 200, "{test}");
    assert_eq!(proxy.seen(), [line.clone(), line]);
}
