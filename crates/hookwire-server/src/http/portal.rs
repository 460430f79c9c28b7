//! Portal sessions: a link that opens the dashboard as one tenant, for a SaaS to
//! hand its own customer — by the admin for any tenant
//! (`/tenants/{id}/portal-sessions`) or by a tenant for itself
//! (`/portal-sessions`, needing `manage`). No API key reaches the browser: the
//! link carries a session token of its own (see `ui/session.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{Actor, AuditAction, PortalDraft};
use hookwire::TenantId;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, TenantCtx, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant_portal_session))
        .routes(routes!(create_portal_session))
}

/// The path a portal link opens, under the public URL.
pub const PORTAL_PATH: &str = "/ui/portal/";

/// A portal link.
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalLink {
    /// Absolute link (config `public_url`) that opens the dashboard signed in
    /// as the tenant alone. Treat it as a secret until it expires.
    pub url: String,
    /// The link, and the browser session it opens, stop working at this time.
    pub expires_at: DateTime<Utc>,
}

async fn create(
    s: &AppState,
    who: Actor,
    tenant_id: &TenantId,
    draft: Option<ApiJson<PortalDraft>>,
) -> Result<(StatusCode, Json<PortalLink>), ApiError> {
    let draft = draft.map(|ApiJson(d)| d).unwrap_or_default();
    let (session, token) = s.hookwire.create_portal_session(tenant_id, draft).await?;
    s.hookwire
        .audit(
            who,
            AuditAction::PortalSessionCreate,
            Some(tenant_id),
            Some(&session.id),
        )
        .await;
    let url = format!("{}{PORTAL_PATH}{token}", s.portal.public_url);
    Ok((
        StatusCode::CREATED,
        Json(PortalLink {
            url,
            expires_at: session.expires_at,
        }),
    ))
}

/// A portal link for a tenant. The body is optional: without it the link
/// lasts an hour and may change the tenant's webhooks.
#[utoipa::path(post, path = "/tenants/{id}/portal-sessions", tag = "portal", params(("id" = String, Path)),
    request_body(content = Option<PortalDraft>, description = "optional: {expires_in_seconds? (60–86400, default 3600), read_only? (default false)}"),
    responses((status = 201, body = PortalLink), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_tenant_portal_session(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<TenantId>,
    draft: Option<ApiJson<PortalDraft>>,
) -> Result<(StatusCode, Json<PortalLink>), ApiError> {
    create(&s, who, &id, draft).await
}

/// A portal link for the calling tenant (needs `manage`).
#[utoipa::path(post, path = "/portal-sessions", tag = "portal",
    request_body(content = Option<PortalDraft>, description = "optional: {expires_in_seconds? (60–86400, default 3600), read_only? (default false)}"),
    responses((status = 201, body = PortalLink), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_portal_session(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    draft: Option<ApiJson<PortalDraft>>,
) -> Result<(StatusCode, Json<PortalLink>), ApiError> {
    create(&s, who, &tenant, draft).await
}
