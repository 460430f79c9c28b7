//! Who is calling: the admin, or a tenant's API key — and whether that key's
//! scopes allow the request.
//!
//! Handlers state what they need by taking an extractor: [`Admin`] for tenant
//! management, [`TenantCtx`] for a tenant's objects, [`Caller`] for either,
//! [`Who`] for the audit log's name of the caller.
//! The scope a request needs is decided here, once, from its method and path
//! ([`needed_scope`]), so no route can forget it: `POST /events` needs
//! `publish`, every other `GET` `read`, everything else `manage`. The admin
//! token has every scope.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::Method;
use hookwire::model::{Actor, Scope};
use hookwire::secret::TokenHash;
use hookwire::{ApiKeyId, TenantId};

use super::error::ApiError;
use crate::http::state::AppState;

/// Header with which the admin token acts on one tenant's objects.
pub const TENANT_HEADER: &str = "x-hookwire-tenant";

/// An authenticated caller.
#[derive(Debug, Clone)]
pub enum Caller {
    /// Holder of the admin token.
    Admin,
    /// Holder of one tenant's API key.
    Tenant {
        /// The key's tenant.
        tenant_id: TenantId,
        /// The key's id (`key_…`), as the audit log names it.
        key_id: ApiKeyId,
        /// What the key may do.
        scopes: Vec<Scope>,
    },
}

/// The caller as the audit log names it.
#[derive(Debug, Clone)]
pub struct Who(pub Actor);

impl FromRequestParts<AppState> for Who {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(Who(
            match Caller::from_request_parts(parts, state).await? {
                Caller::Admin => Actor::admin(),
                Caller::Tenant { key_id, .. } => Actor::api_key(key_id),
            },
        ))
    }
}

/// The scope a request needs, from its method and path (the path as the
/// client sent it: a nested router sees it without its prefix).
pub fn needed_scope(parts: &Parts) -> Scope {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(parts.uri.path(), |uri| uri.0.path());
    let publish = parts.method == Method::POST && path == "/api/v1/events";
    if publish {
        Scope::Publish
    } else if parts.method == Method::GET || parts.method == Method::HEAD {
        Scope::Read
    } else {
        Scope::Manage
    }
}

impl Caller {
    /// Refuse a key without the scope this request needs (403
    /// `insufficient_scope`).
    fn check_scope(&self, parts: &Parts) -> Result<(), ApiError> {
        match self {
            Caller::Admin => Ok(()),
            Caller::Tenant { scopes, .. } => {
                let needed = needed_scope(parts);
                if scopes.contains(&needed) {
                    Ok(())
                } else {
                    Err(ApiError::InsufficientScope(needed))
                }
            }
        }
    }
}

/// The caller is the admin.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// The tenant whose objects the request acts on: a tenant key's own tenant, or the
/// tenant the admin names in `X-Hookwire-Tenant`.
#[derive(Debug, Clone)]
pub struct TenantCtx(pub TenantId);

/// The bearer token of a request, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let caller = if state.admin_token.matches(&TokenHash::of(token)) {
            Caller::Admin
        } else {
            match state.hookwire.authenticate(token).await? {
                Some(key) => Caller::Tenant {
                    tenant_id: key.tenant_id,
                    key_id: key.id,
                    scopes: key.scopes,
                },
                None => return Err(ApiError::Unauthorized),
            }
        };
        caller.check_scope(parts)?;
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Admin => Ok(Admin),
            Caller::Tenant { .. } => Err(ApiError::Forbidden(
                "this operation needs the admin token, not a tenant API key",
            )),
        }
    }
}

impl FromRequestParts<AppState> for TenantCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Tenant { tenant_id, .. } => Ok(TenantCtx(tenant_id)),
            Caller::Admin => {
                let id = parts
                    .headers
                    .get(TENANT_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(ApiError::Forbidden(
                        "the admin token acts on a tenant only with an X-Hookwire-Tenant header",
                    ))?;
                let tenant = state.hookwire.tenant(&TenantId::from(id)).await?;
                Ok(TenantCtx(tenant.id))
            }
        }
    }
}
