//! `/stats` and `/webhooks/{id}/stats`: delivery statistics over a window.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::service::success_rate;
use hookwire::WebhookId;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::TenantCtx;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(tenant_stats))
        .routes(routes!(webhook_stats))
}

/// `?window=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WindowQuery {
    /// How far back to look: any span from 1s to 366d, written like `90m`, `1h`,
    /// `24h` (the default), `7d` or `2w`.
    pub window: Option<String>,
}

impl WindowQuery {
    fn duration(&self) -> Result<Duration, ApiError> {
        match &self.window {
            None => Ok(Duration::from_secs(86_400)),
            Some(w) => humantime::parse_duration(w).map_err(|e| {
                ApiError::Invalid(hookwire::ValidationError::field(
                    "window",
                    format!("{e}; use a span from 1s to 366d like 90m, 1h, 24h or 7d"),
                ))
            }),
        }
    }
}

/// One webhook's deliveries created in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookStatsView {
    /// Deliveries created in the window.
    pub total: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed for good.
    pub failed: u64,
    /// Not final yet.
    pub pending: u64,
    /// `delivered · 100 / total`, two decimals; null without deliveries.
    pub success_rate: Option<f64>,
    /// Mean attempt duration in ms.
    pub avg_duration_ms: Option<f64>,
    /// Start of the latest attempt.
    pub last_delivery_at: Option<DateTime<Utc>>,
}

/// A webhook among the most failing.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailingWebhook {
    /// The webhook.
    pub webhook_id: String,
    /// Its URL.
    pub url: String,
    /// Failed deliveries in the window.
    pub failures: u64,
}

/// The tenant's deliveries created in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct TenantStatsView {
    /// Deliveries created in the window.
    pub total: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed for good.
    pub failed: u64,
    /// `delivered · 100 / total`, two decimals; null without deliveries.
    pub success_rate: Option<f64>,
    /// Retries due now and not yet attempted.
    pub retry_queue_size: u64,
    /// Up to 10 webhooks with the most failures in the window.
    pub top_failing: Vec<FailingWebhook>,
}

/// Tenant-wide delivery statistics.
#[utoipa::path(get, path = "/stats", tag = "deliveries", params(WindowQuery),
    responses((status = 200, body = TenantStatsView), (status = 422, body = ErrorBody)))]
async fn tenant_stats(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<TenantStatsView>, ApiError> {
    let st = s.hookwire.tenant_stats(&tenant, q.duration()?).await?;
    Ok(Json(TenantStatsView {
        success_rate: success_rate(st.delivered, st.total),
        total: st.total,
        delivered: st.delivered,
        failed: st.failed,
        retry_queue_size: st.retry_queue_size,
        top_failing: st
            .top_failing
            .into_iter()
            .map(|(webhook_id, url, failures)| FailingWebhook {
                webhook_id: webhook_id.into(),
                url,
                failures,
            })
            .collect(),
    }))
}

/// One webhook's delivery statistics.
#[utoipa::path(get, path = "/webhooks/{id}/stats", tag = "webhooks", params(WindowQuery, ("id" = String, Path)),
    responses((status = 200, body = WebhookStatsView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn webhook_stats(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    ApiQuery(q): ApiQuery<WindowQuery>,
) -> Result<Json<WebhookStatsView>, ApiError> {
    let st = s
        .hookwire
        .webhook_stats(&tenant, &id, q.duration()?)
        .await?;
    Ok(Json(WebhookStatsView {
        success_rate: success_rate(st.delivered, st.total),
        total: st.total,
        delivered: st.delivered,
        failed: st.failed,
        pending: st.pending,
        avg_duration_ms: st.avg_duration_ms.map(|ms| (ms * 10.0).round() / 10.0),
        last_delivery_at: st.last_delivery_at,
    }))
}
