use hookwire::testing::{Backend, TestDatabase};
use hookwire_server::app::App;
use hookwire_server::config::Config;

use crate::helpers::{spawn_app, spawn_app_with, ResponseExt};

hookwire::backend_tests!(
    probes_report_the_process_and_the_database,
    the_openapi_document_describes_every_endpoint,
    the_docs_page_renders_the_reference,
    a_generated_admin_token_is_printed_once_and_shared_by_every_node,
    a_metrics_token_guards_the_metrics,
);

async fn probes_report_the_process_and_the_database(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.json_ok(200).await["status"], "ok");
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.json_ok(200).await["database"], "ok");
    let missing = app
        .client
        .get(format!("{}/nope", app.base))
        .send()
        .await
        .unwrap();
    missing.error(404, "not_found").await;
}

async fn the_openapi_document_describes_every_endpoint(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let url = format!("{}/api/v1/openapi.json", app.base);
    let doc = app.client.get(url).send().await.unwrap().json_ok(200).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (path, methods) in [
        ("/api/v1/tenants", &["get", "post"][..]),
        ("/api/v1/tenants/{id}", &["get", "delete"]),
        ("/api/v1/tenants/{id}/keys", &["post"]),
        ("/api/v1/event-types", &["get", "post"]),
        ("/api/v1/webhooks", &["get", "post"]),
        ("/api/v1/webhooks/{id}", &["get", "patch", "put", "delete"]),
        ("/api/v1/webhooks/{id}/test", &["post"]),
        ("/api/v1/webhooks/{id}/rotate-secret", &["post"]),
        ("/api/v1/webhooks/{id}/recover", &["post"]),
        ("/api/v1/webhooks/{id}/deliveries", &["get"]),
        ("/api/v1/webhooks/{id}/stats", &["get"]),
        ("/api/v1/events", &["get", "post"]),
        ("/api/v1/events/{id}", &["get"]),
        ("/api/v1/deliveries/{id}", &["get"]),
        ("/api/v1/deliveries/{id}/retry", &["post"]),
        ("/api/v1/stats", &["get"]),
        ("/healthz", &["get"]),
        ("/readyz", &["get"]),
        ("/metrics", &["get"]),
    ] {
        for m in methods {
            assert!(doc["paths"][path][m].is_object(), "missing {m} {path}");
        }
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["WebhookDraft"].is_object());
}

async fn the_docs_page_renders_the_reference(b: Backend) {
    let Some(app) = spawn_app(b).await else {
        return;
    };
    let resp = app
        .client
        .get(format!("{}/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("<code>POST /api/v1/webhooks</code>"));
    assert!(html.contains("id=\"schema-WebhookView\""));
    // Descriptions are Markdown: backticks become code, not literal backticks.
    assert!(
        html.contains("<code>Authorization: Bearer &lt;token&gt;</code>"),
        "Markdown rendered"
    );
    assert!(
        !html.contains("`Authorization"),
        "raw Markdown left in the page"
    );
    // Every body has an example built from its schema.
    assert!(html.contains("Example request"));
    assert!(html.contains("Example response (201)"));
    assert!(html.contains("&quot;events&quot;: ["), "a webhook example");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "docs load and link nothing remote"
    );
}

async fn a_generated_admin_token_is_printed_once_and_shared_by_every_node(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let config = Config {
        database_url: db.url.clone(),
        admin_token: None,
        ..Config::default()
    };
    let first = App::build(&config).await.unwrap();
    let token = first
        .generated_admin_token
        .clone()
        .expect("first start generates a token");
    let second = App::build(&config).await.unwrap();
    assert!(second.generated_admin_token.is_none(), "printed twice");

    // The second node accepts the first node's token.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(hookwire_server::http::serve(
        listener,
        second.router,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    let ok = client
        .get(format!("{base}/api/v1/tenants"))
        .bearer_auth(&token)
        .send()
        .await;
    assert_eq!(ok.unwrap().status(), 200);
    let bad = client
        .get(format!("{base}/api/v1/tenants"))
        .bearer_auth("hwk_guess")
        .send()
        .await;
    assert_eq!(bad.unwrap().status(), 401);
}

async fn a_metrics_token_guards_the_metrics(b: Backend) {
    const TOKEN: &str = "scraper-token-0123456789";
    let Some(app) = spawn_app_with(b, |c| c.metrics_token = Some(TOKEN.into())).await else {
        return;
    };
    let url = format!("{}/metrics", app.base);
    let resp = app.client.get(&url).send().await.unwrap();
    resp.error(401, "unauthorized").await;
    let resp = app
        .client
        .get(&url)
        .bearer_auth("wrong-token-0123456789")
        .send()
        .await
        .unwrap();
    resp.error(401, "unauthorized").await;
    let resp = app
        .client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.text().await.unwrap().contains("hookwire_"));
    // Without the setting it stays open.
    let Some(open) = spawn_app(b).await else {
        return;
    };
    let resp = open
        .client
        .get(format!("{}/metrics", open.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}
