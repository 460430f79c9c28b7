//! API keys: issue, list and revoke — by the admin for any tenant
//! (`/tenants/{id}/keys`) or by a tenant for itself (`/keys`, its key
//! needing `manage` to change keys and `read` to list them).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use hookwire::model::{Actor, ApiKey, AuditAction, KeyDraft, Scope};
use hookwire::{ApiKeyId, TenantId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::auth::{Admin, TenantCtx, Who};
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use super::list::List;
use crate::http::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_tenant_key, list_tenant_keys))
        .routes(routes!(revoke_tenant_key))
        .routes(routes!(create_key, list_keys))
        .routes(routes!(revoke_key))
}

/// An API key as listed: never its token.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeyView {
    /// `key_…`
    pub id: String,
    /// A label for people.
    pub name: Option<String>,
    /// The token's first 12 characters, to tell keys apart.
    pub prefix: String,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last use, to within a minute.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Refused after this time; null: never.
    pub expires_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for KeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id.into(),
            name: k.name,
            prefix: k.lookup_prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            expires_at: k.expires_at,
        }
    }
}

/// A new API key (its token shown only here).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    /// `key_…`, the key's id (not the secret).
    pub id: String,
    /// Bearer token. Store it now: it cannot be shown again.
    pub api_key: String,
    /// A label for people.
    pub name: Option<String>,
    /// What the key may do.
    pub scopes: Vec<Scope>,
    /// Refused after this time; null: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

async fn create(
    s: &AppState,
    who: Actor,
    tenant_id: &TenantId,
    draft: Option<ApiJson<KeyDraft>>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    let draft = draft.map(|ApiJson(d)| d).unwrap_or_default();
    let (key, api_key) = s.hookwire.create_api_key(tenant_id, draft).await?;
    s.hookwire
        .audit(who, AuditAction::KeyCreate, Some(tenant_id), Some(&key.id))
        .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedKey {
            id: key.id.into(),
            api_key,
            name: key.name,
            scopes: key.scopes,
            expires_at: key.expires_at,
            created_at: key.created_at,
        }),
    ))
}

async fn list(s: &AppState, tenant_id: &TenantId) -> Result<Json<List<KeyView>>, ApiError> {
    let keys = s.hookwire.list_api_keys(tenant_id).await?;
    Ok(Json(List {
        data: keys.into_iter().map(KeyView::from).collect(),
        next_cursor: None,
    }))
}

/// Issue another API key for a tenant (existing keys stay valid). The body is
/// optional: without it the key has every scope and no expiry.
#[utoipa::path(post, path = "/tenants/{id}/keys", tag = "keys", params(("id" = String, Path)), request_body(content = Option<KeyDraft>, description = "optional: without it the key has every scope and no expiry"),
    responses((status = 201, body = CreatedKey), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_tenant_key(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    Path(id): Path<TenantId>,
    draft: Option<ApiJson<KeyDraft>>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    create(&s, who, &id, draft).await
}

/// A tenant's API keys, newest first (never their tokens).
#[utoipa::path(get, path = "/tenants/{id}/keys", tag = "keys", params(("id" = String, Path)),
    responses((status = 200, body = List<KeyView>), (status = 404, body = ErrorBody)))]
async fn list_tenant_keys(
    _: Admin,
    State(s): State<AppState>,
    Path(id): Path<TenantId>,
) -> Result<Json<List<KeyView>>, ApiError> {
    list(&s, &id).await
}

/// Revoke a tenant's API key: refused by every node within 5 s.
#[utoipa::path(delete, path = "/tenants/{id}/keys/{key_id}", tag = "keys",
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_tenant_key(
    _: Admin,
    Who(who): Who,
    State(s): State<AppState>,
    Path((id, key_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (id, key_id) = (TenantId::from(id), ApiKeyId::from(key_id));
    s.hookwire.tenant(&id).await?;
    s.hookwire.revoke_api_key(&id, &key_id).await?;
    s.hookwire
        .audit(who, AuditAction::KeyRevoke, Some(&id), Some(&key_id))
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Issue another API key for the calling tenant (needs `manage`).
#[utoipa::path(post, path = "/keys", tag = "keys", request_body(content = Option<KeyDraft>, description = "optional: without it the key has every scope and no expiry"),
    responses((status = 201, body = CreatedKey), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn create_key(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    draft: Option<ApiJson<KeyDraft>>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
    create(&s, who, &tenant, draft).await
}

/// The calling tenant's API keys, newest first (needs `read`).
#[utoipa::path(get, path = "/keys", tag = "keys",
    responses((status = 200, body = List<KeyView>), (status = 403, body = ErrorBody)))]
async fn list_keys(
    TenantCtx(tenant): TenantCtx,
    State(s): State<AppState>,
) -> Result<Json<List<KeyView>>, ApiError> {
    list(&s, &tenant).await
}

/// Revoke one of the calling tenant's API keys (needs `manage`); it may be
/// the key making the request.
#[utoipa::path(delete, path = "/keys/{key_id}", tag = "keys", params(("key_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_key(
    TenantCtx(tenant): TenantCtx,
    Who(who): Who,
    State(s): State<AppState>,
    Path(key_id): Path<ApiKeyId>,
) -> Result<StatusCode, ApiError> {
    s.hookwire.revoke_api_key(&tenant, &key_id).await?;
    s.hookwire
        .audit(who, AuditAction::KeyRevoke, Some(&tenant), Some(&key_id))
        .await;
    Ok(StatusCode::NO_CONTENT)
}
