use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app, str_of, ResponseExt, ADMIN};

hookwire::backend_tests!(
    the_admin_creates_a_tenant_and_gets_its_key_once,
    tenants_list_newest_first_with_cursor_pagination,
    deleting_a_tenant_deletes_its_webhooks_and_revokes_its_keys,
    a_second_api_key_works_alongside_the_first,
    tenant_management_rejects_bad_input_and_unknown_ids,
);

async fn the_admin_creates_a_tenant_and_gets_its_key_once(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let created = app
        .post("/api/v1/tenants", ADMIN, json!({ "name": "Acme" }))
        .await
        .json_ok(201)
        .await;
    assert_eq!(created["name"], "Acme");
    assert!(str_of(&created["api_key"]).starts_with("hwk_"));
    let id = str_of(&created["id"]);

    let fetched = app
        .get(&format!("/api/v1/tenants/{id}"), ADMIN)
        .await
        .json_ok(200)
        .await;
    assert_eq!(fetched["id"], created["id"]);
    assert_eq!(fetched["created_at"], created["created_at"]);
    assert!(
        fetched.get("api_key").is_none(),
        "key shown again: {fetched}"
    );

    // The key works for tenant endpoints.
    let key = str_of(&created["api_key"]);
    app.get("/api/v1/webhooks", &key).await.json_ok(200).await;
}

async fn tenants_list_newest_first_with_cursor_pagination(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.tenant(&format!("t{i}")).await.0);
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut path = "/api/v1/tenants?limit=2".to_owned();
    loop {
        let page = app.get(&path, ADMIN).await.json_ok(200).await;
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|t| str_of(&t["id"])));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/tenants?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

async fn deleting_a_tenant_deletes_its_webhooks_and_revokes_its_keys(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (id, key) = app.tenant("doomed").await;
    app.webhook(&key, json!({})).await;
    let resp = app.delete(&format!("/api/v1/tenants/{id}"), ADMIN).await;
    assert_eq!(resp.status(), 204);
    app.get(&format!("/api/v1/tenants/{id}"), ADMIN)
        .await
        .error(404, "not_found")
        .await;
    app.get("/api/v1/webhooks", &key)
        .await
        .error(401, "unauthorized")
        .await;
    app.delete(&format!("/api/v1/tenants/{id}"), ADMIN)
        .await
        .error(404, "not_found")
        .await;
}

async fn a_second_api_key_works_alongside_the_first(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (id, first) = app.tenant("acme").await;
    let created = app
        .post(&format!("/api/v1/tenants/{id}/keys"), ADMIN, json!({}))
        .await
        .json_ok(201)
        .await;
    let second = str_of(&created["api_key"]);
    assert_ne!(first, second);
    let hook = app.webhook(&first, json!({})).await;
    let seen = app
        .get(
            &format!("/api/v1/webhooks/{}", str_of(&hook["id"])),
            &second,
        )
        .await
        .json_ok(200)
        .await;
    assert_eq!(seen["id"], hook["id"]);
    app.post("/api/v1/tenants/tn_nope/keys", ADMIN, json!({}))
        .await
        .error(404, "not_found")
        .await;
}

async fn tenant_management_rejects_bad_input_and_unknown_ids(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    app.post("/api/v1/tenants", ADMIN, json!({ "name": "" }))
        .await
        .error(422, "invalid_field")
        .await;
    app.post(
        "/api/v1/tenants",
        ADMIN,
        json!({ "name": "x", "plan": "gold" }),
    )
    .await
    .error(422, "invalid_field")
    .await;
    app.post("/api/v1/tenants", ADMIN, json!({}))
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/tenants/tn_missing", ADMIN)
        .await
        .error(404, "not_found")
        .await;
    app.get("/api/v1/tenants?limit=0", ADMIN)
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/tenants?limit=251", ADMIN)
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/tenants?limit=abc", ADMIN)
        .await
        .error(422, "invalid_field")
        .await;
    app.get("/api/v1/tenants?cursor=%21%21", ADMIN)
        .await
        .error(400, "invalid_cursor")
        .await;
    // Nothing was created by the failures above.
    let list = app.get("/api/v1/tenants", ADMIN).await.json_ok(200).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
}
