//! Liveness and readiness probes (outside `/api/v1`, no auth).

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// Probe result.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Whether the database answered (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
    /// This process's delivery worker: `ok`, `stalled`, or `not_running` (an
    /// `--role api` node) (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker: Option<&'static str>,
}

/// A worker that has not gone round its loop for this long is stalled.
const STALLED_AFTER: std::time::Duration = std::time::Duration::from_secs(30);

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(()),
    responses((status = 200, body = Health)))]
async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        database: None,
        worker: None,
    })
}

/// The process can serve: the database answers and, where a worker runs, it is
/// making progress.
#[utoipa::path(get, path = "/readyz", tag = "health", security(()),
    responses((status = 200, body = Health), (status = 503, body = Health)))]
async fn readyz(State(s): State<AppState>) -> (StatusCode, Json<Health>) {
    let database = match s.hookwire.store().ping().await {
        Ok(()) => "ok",
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            "unreachable"
        }
    };
    let worker = match s.worker.get().map(|h| h.age()) {
        None => "not_running",
        Some(Some(age)) if age > STALLED_AFTER => "stalled",
        Some(_) => "ok",
    };
    let ready = database == "ok" && worker != "stalled";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if ready { "ok" } else { "unavailable" },
            database: Some(database),
            worker: Some(worker),
        }),
    )
}
