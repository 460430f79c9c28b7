//! The HTTP API: routing, middleware and the OpenAPI document.
//!
//! Each resource module exposes `router()`; they are merged here under `/api/v1`.
//! Handlers parse (extractors), authorize (the [`auth`] extractors) and call the
//! engine; they hold no business rules.

mod audit;
pub mod auth;
mod deliveries;
pub mod docs;
pub mod error;
mod event_types;
mod events;
mod extract;
mod health;
mod keys;
mod list;
pub mod metrics;
mod operational;
mod parse;
pub mod portal;
pub mod rate_limit;
pub mod state;
mod stats;
mod tenants;
pub mod trace;
mod views;
mod webhook_actions;
mod webhooks;

use std::net::SocketAddr;

use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::response::{Html, IntoResponse, Redirect};
use axum::routing::get;
use axum::{middleware, Router};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

use crate::http::state::AppState;
use error::ApiError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hookwire",
        description = "Outbound webhook delivery: tenants, event types, webhooks, events, \
                       deliveries. Authenticate with `Authorization: Bearer <token>`: the \
                       admin token for tenant management, a tenant API key for the rest.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "tenants", description = "Accounts (admin token)."),
        (name = "keys", description = "API keys: issued, listed and revoked by the admin for any tenant or by a tenant for itself. A key's scopes say what it may do: `publish` (POST /events), `read` (every GET), `manage` (everything else); a request outside them gets 403 `insufficient_scope`."),
        (name = "portal", description = "Portal links: the dashboard opened as one tenant, for a SaaS to hand its own customer, optionally read-only. No API key reaches the browser."),
        (name = "audit", description = "The audit log: who changed what, when (admin: every tenant; a tenant key: its own). Never a secret."),
        (name = "operational", description = "Operational webhooks (admin token): the operator's endpoints for hookwire's own events about every tenant — `hookwire.webhook.disabled`, `hookwire.delivery.exhausted`, `hookwire.webhook.circuit_opened`, `hookwire.webhook.created|updated|deleted`. Delivered, signed and retried like any webhook; their history is the operator tenant's (`X-Hookwire-Tenant: tn_operator`)."),
        (name = "event-types", description = "The global event-type catalog."),
        (name = "webhooks", description = "A tenant's webhook subscriptions."),
        (name = "events", description = "Publishing events; each is fanned out to matching webhooks."),
        (name = "deliveries", description = "Delivery history, attempts and retries."),
        (name = "health", description = "Probes for orchestrators."),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API routes and their OpenAPI description, before state and middleware.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let v1 = OpenApiRouter::new()
        .merge(tenants::router())
        .merge(event_types::router())
        .merge(webhooks::router())
        .merge(webhook_actions::router())
        .merge(events::router())
        .merge(keys::router())
        .merge(portal::router())
        .merge(audit::router())
        .merge(operational::router())
        .merge(deliveries::router())
        .merge(stats::router());
    let api = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", v1)
        .merge(health::router())
        .routes(utoipa_axum::routes!(metrics::render));
    let (router, mut openapi) = api.split_for_parts();
    // After the routes are in: a modifier on `ApiDoc` would run before them.
    docs::CommonResponses.modify(&mut openapi);
    (router, openapi)
}

/// The complete application: API, OpenAPI JSON, docs page, and middleware.
pub fn router(state: AppState) -> Router {
    let traced = state.traced;
    let portal = state.portal.clone();
    let (api, openapi) = api();
    let openapi_json = openapi.to_pretty_json().unwrap_or_default();
    let docs_html = docs::render(&openapi);
    let router = api
        .route(
            "/api/v1/openapi.json",
            get(move || async move { ([(CONTENT_TYPE, "application/json")], openapi_json) }),
        )
        .route("/docs", get(move || async move { Html(docs_html) }))
        .nest(
            "/ui",
            crate::ui::router().layer(middleware::from_fn_with_state(
                portal,
                crate::ui::frame_policy,
            )),
        )
        // `/ui` is nested, which `/ui/` does not match; `/` is where a browser lands.
        .route("/ui/", get(|| async { Redirect::to("/ui") }))
        .route("/", get(|| async { Redirect::to("/ui") }))
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
        .layer(middleware::from_fn_with_state(
            state.limiter.clone(),
            rate_limit::limit,
        ))
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(middleware::from_fn(metrics::track))
        .layer(TraceLayer::new_for_http());
    let router = router.with_state(state);
    if traced {
        router.layer(middleware::from_fn(trace::span))
    } else {
        router
    }
}

/// What a `--role worker` node serves: `/healthz`, `/readyz` and `/metrics`,
/// so its liveness and its attempts can be watched, and nothing else (no API,
/// no dashboard: those are the `api` role's).
pub fn probes(state: AppState) -> Router {
    let (routes, _) = OpenApiRouter::new()
        .merge(health::router())
        .routes(utoipa_axum::routes!(metrics::render))
        .split_for_parts();
    routes
        .fallback(|| async { ApiError::NotFound("route") })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed.into_response() })
        .layer(middleware::from_fn(metrics::track))
        .with_state(state)
}

/// Serve `router` on `listener` until `shutdown` resolves, finishing in-flight
/// requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
