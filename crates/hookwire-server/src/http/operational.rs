//! Operational webhooks: the operator's endpoints for hookwire's own events
//! about every tenant (`hookwire.webhook.disabled`, `hookwire.delivery.exhausted`,
//! `hookwire.webhook.circuit_opened`, `hookwire.webhook.created|updated|deleted`),
//! managed with the admin token.
//!
//! They are the webhooks of the reserved operator tenant, so the rest of the API
//! serves them too: their deliveries and attempts are read with the admin token
//! and `X-Hookwire-Tenant: tn_operator` on the usual routes.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use hookwire::model::{operator_tenant, AuditAction, WebhookDraft, OPERATOR_TENANT};
use hookwire::store::WebhookFilter;
use hookwire::WebhookId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::list::{List, PageQuery};
use super::webhooks::WebhookView;
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(
            create_operational_webhook,
            list_operational_webhooks
        ))
        .routes(routes!(delete_operational_webhook))
}

/// Register an operational webhook (fields as for webhooks; `events` from the
/// `hookwire.*` types). The response is the only time the secret is shown.
#[utoipa::path(post, path = "/operational-webhooks", tag = "operational", request_body = WebhookDraft,
    responses((status = 201, body = WebhookView), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_operational_webhook(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    ApiJson(draft): ApiJson<WebhookDraft>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let webhook = s.hookwire.create_webhook(&operator_tenant(), draft).await?;
    s.hookwire
        .audit(
            who,
            AuditAction::WebhookCreate,
            Some(OPERATOR_TENANT),
            Some(&webhook.id),
        )
        .await;
    let secret = webhook.secret.expose().to_owned();
    let mut view = WebhookView::of(webhook);
    view.secret = Some(secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// The operational webhooks, newest first.
#[utoipa::path(get, path = "/operational-webhooks", tag = "operational", params(PageQuery),
    responses((status = 200, body = List<WebhookView>), (status = 403, body = ErrorBody),
              (status = 400, body = ErrorBody, description = "`invalid_cursor`"),
              (status = 422, body = ErrorBody, description = "a query parameter of the wrong form; `field` names it")))]
async fn list_operational_webhooks(
    _: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<List<WebhookView>>, ApiError> {
    let filter = WebhookFilter {
        event: None,
        is_active: None,
    };
    let list = s
        .hookwire
        .list_webhooks(&operator_tenant(), &filter, &q.page()?)
        .await?;
    Ok(Json(super::webhooks::list_view(&s, list).await?))
}

/// Delete an operational webhook; its pending deliveries are cancelled.
#[utoipa::path(delete, path = "/operational-webhooks/{id}", tag = "operational", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete_operational_webhook(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
) -> Result<StatusCode, ApiError> {
    s.hookwire.delete_webhook(&operator_tenant(), &id).await?;
    s.hookwire
        .audit(
            who,
            AuditAction::WebhookDelete,
            Some(OPERATOR_TENANT),
            Some(&id),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}
