//! `/events`: publishing and reading events.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{AuditAction, NewEvent};
use hookwire::store::EventFilter;
use hookwire::EventId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{TenantCtx, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::list::{List, PageQuery};
use super::views::{DeliveryView, EventView};
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish, list_events))
        .routes(routes!(get_event))
        .routes(routes!(replay))
}

/// Body of `POST /events/{id}/replay` (optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Replay to this webhook only (it must be active and still match the
    /// event). Default: every matching active webhook.
    pub webhook_id: Option<String>,
}

/// The 202 answer to a replay.
#[derive(Debug, Serialize, ToSchema)]
pub struct Replayed {
    /// The new deliveries, one per webhook, due now.
    pub deliveries: Vec<DeliveryView>,
}

/// Deliver a stored event again, now: a new delivery to every active webhook
/// its type and channel match today (or to `webhook_id` only), signed with
/// today's secrets. Receivers get the same `webhook-id` (the event id), so
/// they can dedupe. Needs the `manage` scope.
#[utoipa::path(post, path = "/events/{id}/replay", tag = "events", params(("id" = String, Path)),
    request_body(content = Option<ReplayRequest>, description = "optional: without it, every matching webhook"),
    responses((status = 202, body = Replayed), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "`webhook_id` names a disabled or no longer matching webhook")))]
async fn replay(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<EventId>,
    body: Option<ApiJson<ReplayRequest>>,
) -> Result<(StatusCode, Json<Replayed>), ApiError> {
    let body = body.map(|ApiJson(b)| b).unwrap_or_default();
    let deliveries = s
        .hookwire
        .replay(&tenant, &id, body.webhook_id.as_deref())
        .await?;
    s.hookwire
        .audit(who, AuditAction::EventReplay, Some(&tenant), Some(&id))
        .await;
    Ok((
        StatusCode::ACCEPTED,
        Json(Replayed {
            deliveries: deliveries.into_iter().map(DeliveryView::of).collect(),
        }),
    ))
}

/// The 202 answer to a publish.
#[derive(Debug, Serialize, ToSchema)]
pub struct Published {
    /// `evt_…`
    #[schema(example = "evt_01a24d31a82f773aad75c68d05b06311")]
    pub id: String,
    /// Event type.
    #[serde(rename = "type")]
    #[schema(example = "order.paid")]
    pub event_type: String,
    /// Publication time.
    pub created_at: DateTime<Utc>,
    /// One delivery per matching webhook, all pending.
    pub deliveries: Vec<DeliveryView>,
}

/// An event with its deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventDetailView {
    /// The event.
    #[serde(flatten)]
    pub event: EventView,
    /// Its deliveries.
    pub deliveries: Vec<DeliveryView>,
}

/// Publish an event. Stored with one delivery per matching webhook before the
/// 202; delivery happens in the background. `Idempotency-Key` (or the body's `id`)
/// dedupes for 24 h: a repeat returns the first event and creates nothing
/// (`Idempotent-Replayed: true`); the same key with a different type, channel or
/// data is 409 `idempotency_key_reused`.
#[utoipa::path(post, path = "/events", tag = "events", request_body = NewEvent,
    params(("Idempotency-Key" = Option<String>, Header, description = "Dedupes publishes for 24 h")),
    responses((status = 202, body = Published), (status = 400, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "`idempotency_key_reused`: the key was used for a different event"),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn publish(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewEvent>,
) -> Result<Response, ApiError> {
    let key = match headers.get("idempotency-key") {
        Some(v) => Some(v.to_str().map_err(|_| {
            ApiError::BadRequest(
                "invalid_header",
                "Idempotency-Key must be visible ASCII".into(),
            )
        })?),
        None => None,
    };
    let published = s.hookwire.publish(&tenant, body, key).await?;
    let view = Published {
        id: published.event.id.into(),
        event_type: published.event.event_type,
        created_at: published.event.created_at,
        deliveries: published
            .deliveries
            .into_iter()
            .map(DeliveryView::of)
            .collect(),
    };
    let mut response = (StatusCode::ACCEPTED, Json(view)).into_response();
    if published.duplicate {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// Filters of `GET /events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventListQuery {
    /// Only events of this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub event_type: Option<String>,
    /// Only events published on this channel.
    pub channel: Option<String>,
    /// Only events created at or after this time (RFC 3339).
    #[serde(default, deserialize_with = "super::parse::rfc3339_opt")]
    pub since: Option<DateTime<Utc>>,
    /// Only events created before this time (RFC 3339).
    #[serde(default, deserialize_with = "super::parse::rfc3339_opt")]
    pub until: Option<DateTime<Utc>>,
    /// Items per page, 1–250 (default 50).
    #[serde(default, deserialize_with = "super::parse::limit_opt")]
    #[param(minimum = 1, maximum = 250)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// The tenant's events, newest first.
#[utoipa::path(get, path = "/events", tag = "events", params(EventListQuery),
    responses((status = 200, body = List<EventView>),
              (status = 400, body = ErrorBody, description = "`invalid_cursor`"),
              (status = 422, body = ErrorBody, description = "a query parameter of the wrong form; `field` names it")))]
async fn list_events(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<EventListQuery>,
) -> Result<Json<List<EventView>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let filter = EventFilter {
        event_type: q.event_type,
        channel: q.channel,
        since: q.since,
        until: q.until,
    };
    let list = s.hookwire.list_events(&tenant, &filter, &page).await?;
    Ok(Json(List::of(list, EventView::of)))
}

/// One event with its deliveries.
#[utoipa::path(get, path = "/events/{id}", tag = "events", params(("id" = String, Path)),
    responses((status = 200, body = EventDetailView), (status = 404, body = ErrorBody)))]
async fn get_event(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    Path(id): Path<EventId>,
) -> Result<Json<EventDetailView>, ApiError> {
    let detail = s.hookwire.event(&tenant, &id).await?;
    Ok(Json(EventDetailView {
        event: EventView::of(detail.event),
        deliveries: detail
            .deliveries
            .into_iter()
            .map(DeliveryView::of)
            .collect(),
    }))
}
