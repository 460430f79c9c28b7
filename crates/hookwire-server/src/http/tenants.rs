//! `/tenants`: admin-only tenant management (their keys: `keys.rs`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{AuditAction, Tenant};
use hookwire::TenantId;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery};
use super::list::{List, PageQuery};
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant, list_tenants))
        .routes(routes!(get_tenant, delete_tenant))
}

/// Body of `POST /tenants`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// Display name, 1–200 characters.
    pub name: String,
}

/// A tenant just created, with its first API key (shown only here).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    /// `tn_…`
    pub id: String,
    /// Display name.
    pub name: String,
    /// Bearer token for this tenant. Store it now: it cannot be shown again.
    pub api_key: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Create a tenant and its first API key.
#[utoipa::path(post, path = "/tenants", tag = "tenants", request_body = NewTenant,
    responses((status = 201, body = CreatedTenant), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_tenant(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    ApiJson(body): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<CreatedTenant>), ApiError> {
    let (tenant, api_key) = s.hookwire.create_tenant(&body.name).await?;
    let id = Some(tenant.id.as_str());
    s.hookwire
        .audit(who, AuditAction::TenantCreate, id, id)
        .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedTenant {
            id: tenant.id.into(),
            name: tenant.name,
            api_key,
            created_at: tenant.created_at,
        }),
    ))
}

/// List tenants, newest first.
#[utoipa::path(get, path = "/tenants", tag = "tenants", params(PageQuery),
    responses((status = 200, body = List<Tenant>), (status = 401, body = ErrorBody),
              (status = 400, body = ErrorBody, description = "`invalid_cursor`"),
              (status = 422, body = ErrorBody, description = "a query parameter of the wrong form; `field` names it")))]
async fn list_tenants(
    _: Admin,
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<List<Tenant>>, ApiError> {
    let page = s.hookwire.list_tenants(&q.page()?).await?;
    Ok(Json(List::of(page, |t| t)))
}

/// One tenant.
#[utoipa::path(get, path = "/tenants/{id}", tag = "tenants", params(("id" = String, Path)),
    responses((status = 200, body = Tenant), (status = 404, body = ErrorBody)))]
async fn get_tenant(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<TenantId>,
) -> Result<Json<Tenant>, ApiError> {
    Ok(Json(s.hookwire.tenant(&id).await?))
}

/// Delete a tenant and everything it owns (keys, webhooks, events, deliveries).
#[utoipa::path(delete, path = "/tenants/{id}", tag = "tenants", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_tenant(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<TenantId>,
) -> Result<StatusCode, ApiError> {
    s.hookwire.delete_tenant(&id).await?;
    let id = Some(id.as_str());
    s.hookwire
        .audit(who, AuditAction::TenantDelete, id, id)
        .await;
    Ok(StatusCode::NO_CONTENT)
}
