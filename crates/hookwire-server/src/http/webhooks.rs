//! `/webhooks`: a tenant's subscriptions.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{
    AuditAction, Circuit, CircuitState, DeliveryOrder, EventTypeName, RetryPolicy, Webhook,
    WebhookDraft, WebhookPatch,
};
use hookwire::secret::SignatureScheme;
use hookwire::store::WebhookFilter;
use hookwire::WebhookId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{TenantCtx, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::list::{List, PageQuery};
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(
            get_webhook,
            patch_webhook,
            put_webhook,
            delete_webhook
        ))
}

/// A webhook as the API shows it: never the secret, except `secret` in the 201
/// response to its creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    /// `wh_…`
    #[schema(example = "wh_01a24d31a81e75cc89ce54eebad340b8")]
    pub id: String,
    /// Delivery URL.
    #[schema(example = "https://example.com/webhooks")]
    pub url: String,
    /// Display name.
    #[schema(example = "Orders")]
    pub name: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Event filters.
    #[schema(example = json!(["order.paid", "invoice.*"]))]
    pub events: Vec<String>,
    /// Channel restriction (empty = all).
    pub channels: Vec<String>,
    /// Payload filter on the delivered body, exactly as given; `null`: none.
    #[schema(value_type = Option<Object>, example = json!({"data.amount": {"$gte": 100}}))]
    pub filter: Option<serde_json::Value>,
    /// `fifo`: deliveries with the same event `ordering_key` go one at a time
    /// in publish order; `none`: no ordering.
    pub ordering: DeliveryOrder,
    /// Whether deliveries are made.
    pub is_active: bool,
    /// Request timeout in seconds.
    #[schema(example = 10)]
    pub timeout_seconds: u32,
    /// Retry schedule.
    pub retry: RetryPolicy,
    /// Extra static request headers.
    pub headers: BTreeMap<String, String>,
    /// At most this many requests per second, over all nodes; `null`: no limit.
    pub rate_limit_per_second: Option<u32>,
    /// `hmac-sha256` (`v1,` signatures with the shared secret) or `ed25519`
    /// (`v1a,` signatures; receivers verify with `public_key`).
    pub signature_scheme: SignatureScheme,
    /// An Ed25519 webhook's public key (`whpk_…`), for its receivers; `null`
    /// for HMAC.
    #[schema(example = json!(null))]
    pub public_key: Option<String>,
    /// Always true: every webhook signs.
    pub has_secret: bool,
    /// Whether a TLS client certificate is presented to the receiver
    /// (`client_certificate` is write-only).
    pub has_client_certificate: bool,
    /// The signing secret; present only in the response that created the webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
    /// Why hookwire disabled it, if it did.
    pub disabled_reason: Option<String>,
    /// Its circuit breaker: `open` after `circuit_failure_threshold` attempts
    /// in a row found the receiver down (no answer, or a 5xx; deliveries then
    /// wait, unattempted), `half_open` when the next delivery goes as a probe.
    pub circuit: CircuitView,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl WebhookView {
    pub(super) fn of(w: Webhook) -> Self {
        Self {
            id: w.id.into(),
            url: w.url,
            name: w.name,
            description: w.description,
            events: w.events,
            channels: w.channels,
            filter: w.filter.map(|f| f.as_json().clone()),
            ordering: w.ordering,
            is_active: w.is_active,
            timeout_seconds: w.timeout_seconds,
            retry: w.retry,
            headers: w.headers,
            rate_limit_per_second: w.rate_limit_per_second,
            signature_scheme: w.secret.scheme(),
            public_key: w.secret.public_key().map(|k| k.encode()),
            has_secret: true,
            has_client_certificate: w.client_certificate.is_some(),
            secret: None,
            disabled_reason: w.disabled_reason,
            circuit: CircuitView::closed(),
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// A webhook's circuit breaker as of the request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CircuitView {
    /// `closed`, `open` or `half_open`.
    pub state: CircuitState,
    /// When it opened; `null` while closed.
    pub opened_at: Option<DateTime<Utc>>,
    /// When the next probe may go; `null` while closed.
    pub next_probe_at: Option<DateTime<Utc>>,
}

impl CircuitView {
    fn closed() -> Self {
        Self {
            state: CircuitState::Closed,
            opened_at: None,
            next_probe_at: None,
        }
    }

    fn of(circuit: &Circuit, now: DateTime<Utc>) -> Self {
        Self {
            state: circuit.state(now),
            opened_at: circuit.opened_at,
            next_probe_at: circuit.next_probe_at,
        }
    }
}

/// Views of `webhooks` with their circuits, read in one query.
pub(super) async fn views(
    s: &AppState,
    webhooks: Vec<Webhook>,
) -> Result<Vec<WebhookView>, ApiError> {
    let ids: Vec<WebhookId> = webhooks.iter().map(|w| w.id.clone()).collect();
    let circuits = s.hookwire.circuits(&ids).await?;
    let now = Utc::now();
    Ok(webhooks
        .into_iter()
        .map(|w| {
            let circuit = circuits.get(&w.id).map(|c| CircuitView::of(c, now));
            let mut view = WebhookView::of(w);
            if let Some(circuit) = circuit {
                view.circuit = circuit;
            }
            view
        })
        .collect())
}

/// The view of one webhook, with its circuit.
pub(super) async fn view(s: &AppState, webhook: Webhook) -> Result<WebhookView, ApiError> {
    let mut views = views(s, vec![webhook]).await?;
    views
        .pop()
        .ok_or(ApiError::from(hookwire::Error::NotFound("webhook")))
}

/// Views of a page of webhooks, with their circuits.
pub(super) async fn list_view(
    s: &AppState,
    page: hookwire::page::Page<Webhook>,
) -> Result<List<WebhookView>, ApiError> {
    let data = views(s, page.items).await?;
    Ok(List {
        data,
        next_cursor: page.next_cursor,
    })
}

/// Filters of `GET /webhooks`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookListQuery {
    /// Only webhooks that would receive this event type.
    pub event: Option<String>,
    /// Only active (`true`) or inactive (`false`) webhooks.
    pub is_active: Option<bool>,
    /// Items per page, 1–250 (default 50).
    #[serde(default, deserialize_with = "super::parse::limit_opt")]
    #[param(minimum = 1, maximum = 250)]
    pub limit: Option<u32>,
    /// `next_cursor` from the previous page.
    pub cursor: Option<String>,
}

/// Register a webhook. The response is the only time the secret is shown.
#[utoipa::path(post, path = "/webhooks", tag = "webhooks", request_body = WebhookDraft,
    responses((status = 201, body = WebhookView), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_webhook(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    ApiJson(draft): ApiJson<WebhookDraft>,
) -> Result<(StatusCode, Json<WebhookView>), ApiError> {
    let webhook = s.hookwire.create_webhook(&tenant, draft).await?;
    s.hookwire
        .audit(
            who,
            AuditAction::WebhookCreate,
            Some(&tenant),
            Some(&webhook.id),
        )
        .await;
    let secret = webhook.secret.expose().to_owned();
    let mut view = WebhookView::of(webhook);
    view.secret = Some(secret);
    Ok((StatusCode::CREATED, Json(view)))
}

/// The tenant's webhooks, newest first.
#[utoipa::path(get, path = "/webhooks", tag = "webhooks", params(WebhookListQuery),
    responses((status = 200, body = List<WebhookView>),
              (status = 400, body = ErrorBody, description = "`invalid_cursor`"),
              (status = 422, body = ErrorBody, description = "a query parameter of the wrong form; `field` names it")))]
async fn list_webhooks(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<WebhookListQuery>,
) -> Result<Json<List<WebhookView>>, ApiError> {
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    let filter = WebhookFilter {
        event: q
            .event
            .as_deref()
            .map(|e| EventTypeName::parse(e, "event"))
            .transpose()
            .map_err(ApiError::Invalid)?,
        is_active: q.is_active,
    };
    let list = s.hookwire.list_webhooks(&tenant, &filter, &page).await?;
    Ok(Json(list_view(&s, list).await?))
}

/// One webhook (without its secret).
#[utoipa::path(get, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody)))]
async fn get_webhook(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
) -> Result<Json<WebhookView>, ApiError> {
    let webhook = s.hookwire.webhook(&tenant, &id).await?;
    Ok(Json(view(&s, webhook).await?))
}

/// Change some fields; absent fields keep their values, `null` clears name and
/// description.
#[utoipa::path(patch, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)), request_body = WebhookPatch,
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn patch_webhook(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    ApiJson(patch): ApiJson<WebhookPatch>,
) -> Result<Json<WebhookView>, ApiError> {
    let webhook = s.hookwire.patch_webhook(&tenant, &id, patch).await?;
    s.hookwire
        .audit(who, AuditAction::WebhookUpdate, Some(&tenant), Some(&id))
        .await;
    Ok(Json(view(&s, webhook).await?))
}

/// Replace every writable field; absent optional fields reset to their defaults
/// (an absent secret keeps the current one).
#[utoipa::path(put, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)), request_body = WebhookDraft,
    responses((status = 200, body = WebhookView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn put_webhook(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    ApiJson(draft): ApiJson<WebhookDraft>,
) -> Result<Json<WebhookView>, ApiError> {
    let webhook = s.hookwire.replace_webhook(&tenant, &id, draft).await?;
    s.hookwire
        .audit(who, AuditAction::WebhookUpdate, Some(&tenant), Some(&id))
        .await;
    Ok(Json(view(&s, webhook).await?))
}

/// Delete a webhook; its pending deliveries are cancelled.
#[utoipa::path(delete, path = "/webhooks/{id}", tag = "webhooks", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_webhook(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
) -> Result<StatusCode, ApiError> {
    s.hookwire.delete_webhook(&tenant, &id).await?;
    s.hookwire
        .audit(who, AuditAction::WebhookDelete, Some(&tenant), Some(&id))
        .await;
    Ok(StatusCode::NO_CONTENT)
}
