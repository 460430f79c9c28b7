use hookwire::testing::Backend;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{spawn_app, str_of, ResponseExt, ADMIN};

hookwire::backend_tests!(
    requests_without_a_valid_token_get_401,
    a_tenant_key_cannot_manage_tenants,
    another_tenants_webhook_is_a_404_everywhere,
    the_admin_acts_on_a_tenant_only_when_naming_it,
);

async fn requests_without_a_valid_token_get_401(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    for (method, path) in [
        (Method::GET, "/api/v1/tenants"),
        (Method::POST, "/api/v1/tenants"),
        (Method::GET, "/api/v1/webhooks"),
        (Method::POST, "/api/v1/webhooks"),
        (Method::GET, "/api/v1/event-types"),
    ] {
        app.request(method.clone(), path, None, Some(json!({})))
            .await
            .error(401, "unauthorized")
            .await;
        app.request(
            method.clone(),
            path,
            Some("hwk_not_a_real_key_at_all"),
            Some(json!({})),
        )
        .await
        .error(401, "unauthorized")
        .await;
    }
    // A malformed Authorization header is a 401 too, not a 400 or 500.
    let resp = app
        .client
        .get(format!("{}/api/v1/webhooks", app.base))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    resp.error(401, "unauthorized").await;
}

async fn a_tenant_key_cannot_manage_tenants(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (id, key) = app.tenant("acme").await;
    app.post("/api/v1/tenants", &key, json!({ "name": "evil" }))
        .await
        .error(403, "forbidden")
        .await;
    app.get("/api/v1/tenants", &key)
        .await
        .error(403, "forbidden")
        .await;
    app.delete(&format!("/api/v1/tenants/{id}"), &key)
        .await
        .error(403, "forbidden")
        .await;
    app.post(&format!("/api/v1/tenants/{id}/keys"), &key, json!({}))
        .await
        .error(403, "forbidden")
        .await;
    app.post("/api/v1/event-types", &key, json!({ "name": "x.y" }))
        .await
        .error(403, "forbidden")
        .await;
}

async fn another_tenants_webhook_is_a_404_everywhere(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, alice) = app.tenant("alice").await;
    let (_, mallory) = app.tenant("mallory").await;
    let hook = app.webhook(&alice, json!({})).await;
    let path = format!("/api/v1/webhooks/{}", str_of(&hook["id"]));

    app.get(&path, &mallory).await.error(404, "not_found").await;
    app.patch(&path, &mallory, json!({ "name": "pwned" }))
        .await
        .error(404, "not_found")
        .await;
    app.put(
        &path,
        &mallory,
        json!({ "url": "https://93.184.216.34/x", "events": ["*"] }),
    )
    .await
    .error(404, "not_found")
    .await;
    app.delete(&path, &mallory)
        .await
        .error(404, "not_found")
        .await;
    let list = app
        .get("/api/v1/webhooks", &mallory)
        .await
        .json_ok(200)
        .await;
    assert_eq!(list["data"], json!([]));

    // Alice's webhook is untouched.
    let still = app.get(&path, &alice).await.json_ok(200).await;
    assert_eq!(still["name"], json!(null));
    assert_eq!(still["url"], hook["url"]);
}

async fn the_admin_acts_on_a_tenant_only_when_naming_it(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (id, key) = app.tenant("acme").await;
    let hook = app.webhook(&key, json!({})).await;
    app.get("/api/v1/webhooks", ADMIN)
        .await
        .error(403, "forbidden")
        .await;
    let list = app
        .client
        .get(format!("{}/api/v1/webhooks", app.base))
        .bearer_auth(ADMIN)
        .header("x-hookwire-tenant", &id)
        .send()
        .await
        .unwrap()
        .json_ok(200)
        .await;
    assert_eq!(list["data"][0]["id"], hook["id"]);
    app.client
        .get(format!("{}/api/v1/webhooks", app.base))
        .bearer_auth(ADMIN)
        .header("x-hookwire-tenant", "tn_unknown")
        .send()
        .await
        .unwrap()
        .error(404, "not_found")
        .await;
}
