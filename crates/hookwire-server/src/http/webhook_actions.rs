//! Operations on one webhook: test send, secret rotation, recovery.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{AuditAction, DeliveryStatus};
use hookwire::WebhookId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{TenantCtx, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(test_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(recover))
}

/// The result of a test send.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestResult {
    /// The delivery created for the test (also in the history).
    pub delivery_id: String,
    /// `delivered` or `failed`.
    pub status: DeliveryStatus,
    /// Response status, if a response arrived.
    pub http_status: Option<u16>,
    /// Request to response, in ms.
    pub duration_ms: u64,
    /// First 4 KiB of the response body.
    pub response_body: Option<String>,
    /// Transport error, if no response arrived.
    pub error: Option<String>,
}

/// Body of `rotate-secret` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateSecret {
    /// The new secret; generated (`whsec_…`) when absent.
    pub secret: Option<String>,
}

/// The new secret (shown only here).
#[derive(Debug, Serialize, ToSchema)]
pub struct NewSecret {
    /// The new signing secret. The old one signs alongside it for 24 h.
    pub secret: String,
}

/// Body of `recover`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Recover {
    /// Requeue failed deliveries created at or after this time (RFC 3339).
    #[serde(deserialize_with = "super::parse::rfc3339")]
    pub since: DateTime<Utc>,
}

/// How many deliveries `recover` requeued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recovered {
    /// Failed deliveries given one more attempt.
    pub requeued: u64,
}

/// Deliver a `webhook.test` event now, in one attempt, and report the result.
#[utoipa::path(post, path = "/webhooks/{id}/test", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = TestResult), (status = 404, body = ErrorBody)))]
async fn test_webhook(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
) -> Result<Json<TestResult>, ApiError> {
    let sent = s.hookwire.test_webhook(&tenant, &id).await?;
    let a = sent.attempt;
    Ok(Json(TestResult {
        delivery_id: sent.delivery.id.into(),
        status: sent.delivery.status,
        http_status: a.http_status,
        duration_ms: a.duration_ms,
        response_body: a.response_body,
        error: a.error_message.map(|m| match a.error_kind {
            Some(kind) => format!("{kind}: {m}"),
            None => m,
        }),
    }))
}

/// Replace the signing secret; the old one keeps signing alongside for 24 h.
#[utoipa::path(post, path = "/webhooks/{id}/rotate-secret", tag = "webhooks", params(("id" = String, Path)),
    request_body(content = Option<RotateSecret>),
    responses((status = 200, body = NewSecret), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn rotate_secret(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    body: Option<ApiJson<RotateSecret>>,
) -> Result<Json<NewSecret>, ApiError> {
    let given = body.and_then(|ApiJson(b)| b.secret);
    let secret = s
        .hookwire
        .rotate_secret(&tenant, &id, given.as_deref())
        .await?;
    s.hookwire
        .audit(
            who,
            AuditAction::WebhookRotateSecret,
            Some(&tenant),
            Some(&id),
        )
        .await;
    Ok(Json(NewSecret {
        secret: secret.expose().to_owned(),
    }))
}

/// Give every failed delivery since `since` one more attempt.
#[utoipa::path(post, path = "/webhooks/{id}/recover", tag = "webhooks", params(("id" = String, Path)), request_body = Recover,
    responses((status = 200, body = Recovered), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn recover(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    ApiJson(body): ApiJson<Recover>,
) -> Result<Json<Recovered>, ApiError> {
    let requeued = s.hookwire.recover(&tenant, &id, body.since).await?;
    s.hookwire
        .audit(who, AuditAction::DeliveriesRetry, Some(&tenant), Some(&id))
        .await;
    Ok(Json(Recovered { requeued }))
}
