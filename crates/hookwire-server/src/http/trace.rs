//! The span of an API request, installed only when traces are exported (see
//! [`crate::telemetry`]): named `METHOD /route`, a child of the caller's
//! `traceparent` header when it sends one, so a publish joins the trace of
//! the request that made it — and, through the `traceparent` the engine
//! stores with the event, so does every attempt of its deliveries.
//!
//! Probes and scrapes (`/healthz`, `/readyz`, `/metrics`) get no span: an
//! orchestrator calls them every few seconds and they would bury the traces
//! that matter.

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry::propagation::Extractor;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Routes that are polled, not used: never traced.
const POLLED: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// Middleware: run the request inside its span and record the status.
pub async fn span(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    if POLLED.contains(&route.as_str()) {
        return next.run(req).await;
    }
    let method = req.method().as_str().to_owned();
    let span = tracing::info_span!(
        "request",
        otel.name = %format_args!("{method} {route}"),
        otel.kind = "server",
        http.request.method = %method,
        http.route = %route,
        http.response.status_code = tracing::field::Empty,
    );
    let parent = opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&Headers(req.headers()))
    });
    // Refused only for a disabled span (RUST_LOG turned it off): no trace then.
    let _ = span.set_parent(parent);
    let response = next.run(req).instrument(span.clone()).await;
    span.record(
        "http.response.status_code",
        i64::from(response.status().as_u16()),
    );
    response
}

/// A request's headers as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}
