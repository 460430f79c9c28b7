//! `/deliveries` and `/webhooks/{id}/deliveries`: delivery history, retry of
//! one, and bulk retry.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{AuditAction, DeliveryStatus};
use hookwire::store::{DeliveryFilter, RequeueFilter};
use hookwire::{DeliveryId, WebhookId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{TenantCtx, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::list::{List, PageQuery};
use super::views::{AttemptView, DeliveryView};
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_delivery))
        .routes(routes!(retry_delivery))
        .routes(routes!(retry_deliveries))
        .routes(routes!(list_webhook_deliveries))
}

/// Body of `POST /deliveries/retry`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({ "since": "2026-12-01T00:00:00Z", "webhook_id": "wh_01a24d31a82f773aad75c68d05b06311" }))]
pub struct BulkRetry {
    /// Deliveries created at or after this time (RFC 3339).
    pub since: DateTime<Utc>,
    /// …and before this time.
    pub until: Option<DateTime<Utc>>,
    /// `failed` (default) or `delivered`.
    pub status: Option<String>,
    /// Of this webhook only.
    pub webhook_id: Option<String>,
    /// Of events of this type only.
    pub event_type: Option<String>,
}

/// How many deliveries a bulk retry picked.
#[derive(Debug, Serialize, ToSchema)]
pub struct Requeued {
    /// Deliveries the retry picked when it was accepted; they become due
    /// at `bulk_retry_per_second`, oldest first.
    pub requeued: u64,
}

/// Retry every failed (or delivered) delivery the body picks that exists
/// when the request arrives, oldest first, made due at no more than the
/// server's `bulk_retry_per_second`, so a large recovery does not starve new
/// traffic. Accepted (202): the retry is stored, and the workers of every
/// node requeue its deliveries shortly before their turn, so a delivery
/// shows `failed` until then; one retried by hand or being attempted when
/// its turn comes is left as it is. Needs the `manage` scope.
#[utoipa::path(post, path = "/deliveries/retry", tag = "deliveries", request_body = BulkRetry,
    responses((status = 202, body = Requeued), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn retry_deliveries(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<BulkRetry>,
) -> Result<(StatusCode, Json<Requeued>), ApiError> {
    let status = match body.status.as_deref() {
        None => DeliveryStatus::Failed,
        Some(name) => DeliveryStatus::parse(name).ok_or_else(|| {
            hookwire::Error::from(hookwire::ValidationError::field(
                "status",
                "must be failed or delivered",
            ))
        })?,
    };
    let filter = RequeueFilter {
        status,
        since: body.since,
        until: body.until,
        webhook_id: body.webhook_id,
        event_type: body.event_type,
    };
    let requeued = s.hookwire.retry_deliveries(&tenant, &filter).await?;
    let target = filter.webhook_id.as_deref();
    s.hookwire
        .audit(who, AuditAction::DeliveriesRetry, Some(&tenant), target)
        .await;
    Ok((StatusCode::ACCEPTED, Json(Requeued { requeued })))
}

/// A delivery with every attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDetailView {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryView,
    /// Its attempts, first first.
    pub attempts: Vec<AttemptView>,
}

/// Filters of a webhook's delivery history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListQuery {
    /// Only deliveries in this status.
    pub status: Option<DeliveryStatus>,
    /// Only deliveries of events of this type.
    pub event_type: Option<String>,
    /// Only deliveries created at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "super::parse::rfc3339_opt")]
    pub since: Option<DateTime<Utc>>,
    /// Only deliveries created before this time (RFC 3339).
    #[serde(default, deserialize_with = "super::parse::rfc3339_opt")]
    pub until: Option<DateTime<Utc>>,
    /// Items per page, 1–250 (default 50).
    #[serde(default, deserialize_with = "super::parse::limit_opt")]
    #[param(minimum = 1, maximum = 250)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// One delivery with its attempts.
#[utoipa::path(get, path = "/deliveries/{id}", tag = "deliveries", params(("id" = String, Path)),
    responses((status = 200, body = DeliveryDetailView), (status = 404, body = ErrorBody)))]
async fn get_delivery(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    Path(id): Path<DeliveryId>,
) -> Result<Json<DeliveryDetailView>, ApiError> {
    let detail = s.hookwire.delivery(&tenant, &id).await?;
    Ok(Json(DeliveryDetailView {
        delivery: DeliveryView::of(detail.delivery),
        attempts: detail.attempts.into_iter().map(AttemptView::of).collect(),
    }))
}

/// Attempt a delivery again now (a delivered one is redelivered).
#[utoipa::path(post, path = "/deliveries/{id}/retry", tag = "deliveries", params(("id" = String, Path)),
    responses((status = 202, body = DeliveryView), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
async fn retry_delivery(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<DeliveryId>,
) -> Result<(StatusCode, Json<DeliveryView>), ApiError> {
    let delivery = s.hookwire.retry_delivery(&tenant, &id).await?;
    s.hookwire
        .audit(who, AuditAction::DeliveriesRetry, Some(&tenant), Some(&id))
        .await;
    Ok((StatusCode::ACCEPTED, Json(DeliveryView::of(delivery))))
}

/// A webhook's delivery history, newest first.
#[utoipa::path(get, path = "/webhooks/{id}/deliveries", tag = "deliveries",
    params(DeliveryListQuery, ("id" = String, Path)),
    responses((status = 200, body = List<DeliveryView>), (status = 404, body = ErrorBody),
              (status = 400, body = ErrorBody, description = "`invalid_cursor`"),
              (status = 422, body = ErrorBody, description = "a query parameter of the wrong form; `field` names it")))]
async fn list_webhook_deliveries(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    ApiQuery(q): ApiQuery<DeliveryListQuery>,
) -> Result<Json<List<DeliveryView>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let filter = DeliveryFilter {
        status: q.status,
        event_type: q.event_type,
        since: q.since,
        until: q.until,
    };
    let list = s
        .hookwire
        .list_deliveries(&tenant, &id, &filter, &page)
        .await?;
    Ok(Json(List::of(list, DeliveryView::of)))
}
