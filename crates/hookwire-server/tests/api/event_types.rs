use hookwire::model::EventType;
use hookwire::testing::Backend;
use serde_json::json;

use crate::helpers::{spawn_app, spawn_app_with, ResponseExt, ADMIN};

hookwire::backend_tests!(
    the_catalog_always_has_webhook_test,
    the_admin_adds_event_types_and_duplicates_conflict,
    config_file_event_types_are_in_the_catalog,
);

async fn the_catalog_always_has_webhook_test(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let (_, key) = app.tenant("acme").await;
    let list = app
        .get("/api/v1/event-types", &key)
        .await
        .json_ok(200)
        .await;
    assert_eq!(list[0]["name"], "webhook.test");
}

async fn the_admin_adds_event_types_and_duplicates_conflict(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let body = json!({ "name": "artifact.completed", "description": "An artifact is ready" });
    let created = app
        .post("/api/v1/event-types", ADMIN, body.clone())
        .await
        .json_ok(201)
        .await;
    assert_eq!(created, body);
    app.post("/api/v1/event-types", ADMIN, body)
        .await
        .error(409, "conflict")
        .await;
    app.post("/api/v1/event-types", ADMIN, json!({ "name": "no spaces" }))
        .await
        .error(422, "invalid_field")
        .await;
    let list = app
        .get("/api/v1/event-types", ADMIN)
        .await
        .json_ok(200)
        .await;
    let names: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![json!("artifact.completed"), json!("webhook.test")]
    );
    // Now a webhook may subscribe to it.
    let (_, key) = app.tenant("acme").await;
    app.webhook(&key, json!({ "events": ["artifact.completed"] }))
        .await;
}

async fn config_file_event_types_are_in_the_catalog(b: Backend) {
    let types = vec![EventType::new("source.ready", "A source is indexed").unwrap()];
    let Some(app) = spawn_app_with(b, |c| c.event_types = types).await else {
        return;
    };
    let list = app
        .get("/api/v1/event-types", ADMIN)
        .await
        .json_ok(200)
        .await;
    assert_eq!(
        list[0],
        json!({ "name": "source.ready", "description": "A source is indexed" })
    );
}
