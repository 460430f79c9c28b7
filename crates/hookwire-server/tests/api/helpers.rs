//! `spawn_app()` and request helpers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use hookwire::{Worker, WorkerOptions};

use hookwire::testing::{Backend, TestDatabase};
use hookwire_server::app::App;
use hookwire_server::config::Config;
use reqwest::{Method, Response};
use serde_json::{json, Value};

/// The admin token every test app is configured with.
pub const ADMIN: &str = "test-admin-token-0123456789";

/// A running server (API and worker) and what a test needs to talk to it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub client: reqwest::Client,
    /// The engine behind the server, for looking at the store directly.
    pub hookwire: hookwire::Hookwire,
    pub _db: TestDatabase,
}

/// Start the server with test defaults (http and private networks allowed, so
/// tests can point webhooks at 127.0.0.1). `None` = skip (no PostgreSQL here).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with config changes.
pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
    spawn(backend, tweak, Duration::from_millis(50)).await
}

/// Like [`spawn_app`], with the worker polling the queue every `poll_interval`
/// when idle (tests otherwise poll every 50 ms; a server every second).
pub async fn spawn_app_polling(backend: Backend, poll_interval: Duration) -> Option<TestApp> {
    spawn(backend, |_| {}, poll_interval).await
}

async fn spawn(
    backend: Backend,
    tweak: impl FnOnce(&mut Config),
    poll_interval: Duration,
) -> Option<TestApp> {
    let db = TestDatabase::create(backend).await?;
    let mut config = Config {
        database_url: db.url.clone(),
        admin_token: Some(ADMIN.into()),
        allow_http: true,
        allow_private_networks: true,
        ..Config::default()
    };
    tweak(&mut config);
    let app = App::build(&config).await.expect("app starts");
    let worker = Worker::new(
        &app.hookwire,
        WorkerOptions {
            poll_interval,
            ..config.worker_options()
        },
    );
    app.attach_worker(&worker);
    tokio::spawn(worker.run(std::future::pending()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(hookwire_server::http::serve(
        listener,
        app.router,
        std::future::pending(),
    ));
    Some(TestApp {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        hookwire: app.hookwire,
        _db: db,
    })
}

impl TestApp {
    /// Send a request with an optional bearer token and JSON body.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Response {
        self.request(Method::PUT, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Response {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// Create a tenant; returns `(id, api_key)`.
    /// Sign in to the dashboard with `token` (an API key or the admin
    /// token): the `Cookie` header value of the session it makes.
    pub async fn ui_session(&self, token: &str) -> String {
        let r = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .post(format!("{}/ui/login", self.base))
            .form(&[("token", token)])
            .send()
            .await
            .expect("sign in");
        r.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("hookwire_session="))
            .and_then(|c| c.split(';').next())
            .unwrap_or("hookwire_session=refused")
            .to_owned()
    }

    pub async fn tenant(&self, name: &str) -> (String, String) {
        let body = self
            .post("/api/v1/tenants", ADMIN, json!({ "name": name }))
            .await
            .json_ok(201)
            .await;
        (str_of(&body["id"]), str_of(&body["api_key"]))
    }

    /// Add event types to the catalog.
    pub async fn event_types(&self, names: &[&str]) {
        for name in names {
            self.post("/api/v1/event-types", ADMIN, json!({ "name": name }))
                .await
                .json_ok(201)
                .await;
        }
    }

    /// Publish an event; returns the 202 body.
    pub async fn publish(&self, key: &str, body: Value) -> Value {
        self.post("/api/v1/events", key, body)
            .await
            .json_ok(202)
            .await
    }

    /// Poll a delivery until `done` accepts it (or give up after 15 s).
    pub async fn wait_delivery(&self, key: &str, id: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let d = self
                .get(&format!("/api/v1/deliveries/{id}"), key)
                .await
                .json_ok(200)
                .await;
            if done(&d) {
                return d;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "delivery never got there: {d}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Register a webhook for `key` to a public-looking address; returns its JSON.
    pub async fn webhook(&self, key: &str, extra: Value) -> Value {
        let mut body = json!({ "url": "https://93.184.216.34/hook", "events": ["*"] });
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        self.post("/api/v1/webhooks", key, body)
            .await
            .json_ok(201)
            .await
    }
}

pub fn str_of(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
        .to_owned()
}

/// Assertions on responses.
pub trait ResponseExt {
    /// Assert the status and return the JSON body.
    async fn json_ok(self, status: u16) -> Value;
    /// Assert an error response: status and `error` code; returns the body.
    async fn error(self, status: u16, code: &str) -> Value;
}

impl ResponseExt for Response {
    async fn json_ok(self, status: u16) -> Value {
        let got = self.status().as_u16();
        let text = self.text().await.unwrap_or_default();
        assert_eq!(got, status, "unexpected status; body: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    async fn error(self, status: u16, code: &str) -> Value {
        let body = self.json_ok(status).await;
        assert_eq!(body["error"], code, "body: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without message: {body}"
        );
        body
    }
}

/// Parse Prometheus text into `series{labels} -> value`.
pub fn scrape(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The total of `name`'s series whose labels contain `label`.
pub fn metric_sum(m: &HashMap<String, f64>, name: &str, label: &str) -> f64 {
    m.iter()
        .filter(|(k, _)| {
            (k.as_str() == name || k.starts_with(&format!("{name}{{"))) && k.contains(label)
        })
        .map(|(_, v)| v)
        .sum()
}
