//! `GET /metrics`: Prometheus text exposition, and the middleware that counts and
//! times every API request.
//!
//! The engine records its own metrics through the `metrics` facade (events
//! published, attempts by outcome, attempt durations, in-flight deliveries); this
//! module installs the Prometheus recorder once per process, adds HTTP metrics,
//! and sets the queue-depth gauges from the database at scrape time (so every node
//! reports the shared queue, not only its own view).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hookwire::secret::TokenHash;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::http::state::AppState;

/// Latency buckets in seconds, from 1 ms to 60 s (the longest webhook timeout).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// How often the recorder folds recorded histogram samples into its buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's recorder, installed on first use, with its upkeep running.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if another recorder is installed (an embedding program's);
        // then ours renders nothing but the server still works.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will be empty");
        }
        spawn_upkeep(handle.clone());
        handle
    })
}

/// A recorder built without the exporter's own listener keeps every histogram
/// sample until something drains it: a render (a scrape of `/metrics`) or an
/// upkeep. With nobody scraping, that was every attempt's and request's
/// duration, kept for the life of the process (measured: RSS 32 → 67 MB over
/// five minutes of a 1,000,000-delivery backlog, still rising). A thread of
/// its own, so it runs whatever runtime the recorder was first used from.
fn spawn_upkeep(handle: PrometheusHandle) {
    let started = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        });
    if let Err(e) = started {
        tracing::warn!(error = %e, "no metrics upkeep thread; histograms drain only when scraped");
    }
}

/// Prometheus metrics: events published, attempts by outcome, attempt and API
/// request durations, queue depth, in-flight deliveries. Open unless the server
/// sets `metrics_token`; then that bearer token is required.
#[utoipa::path(get, path = "/metrics", tag = "health", security((), ("bearer" = [])),
    responses((status = 200, content_type = "text/plain", body = String),
              (status = 401, body = super::error::ErrorBody)))]
pub async fn render(State(s): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(expected) = &s.metrics_token {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(TokenHash::of);
        if !given.is_some_and(|g| expected.matches(&g)) {
            return super::error::ApiError::Unauthorized.into_response();
        }
    }
    match s.hookwire.store().queue_depth(hookwire::clock::now()).await {
        Ok((due, later)) => {
            metrics::gauge!("hookwire_queue_depth", "state" => "due").set(due as f64);
            metrics::gauge!("hookwire_queue_depth", "state" => "scheduled").set(later as f64);
        }
        Err(e) => tracing::warn!(error = %e, "queue depth unavailable for /metrics"),
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle().render(),
    )
        .into_response()
}

/// Middleware: count and time each request by method, route template and status.
/// The route template (`/api/v1/webhooks/{id}`), not the path, keeps the label
/// set bounded.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("hookwire_http_requests_total",
        "method" => method.clone(), "route" => route.clone(), "status" => status)
    .increment(1);
    metrics::histogram!("hookwire_http_request_duration_seconds",
        "method" => method, "route" => route)
    .record(started.elapsed().as_secs_f64());
    response
}
