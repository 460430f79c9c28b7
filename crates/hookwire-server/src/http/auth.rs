//! Who is calling: the admin, or a tenant's API key.
//!
//! Handlers state what they need by taking an extractor: [`Admin`] for tenant
//! management, [`TenantCtx`] for a tenant's objects, [`Caller`] for either.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hookwire::secret::TokenHash;

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
    Tenant(String),
}

/// The caller is the admin.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// The tenant whose objects the request acts on: a tenant key's own tenant, or the
/// tenant the admin names in `X-Hookwire-Tenant`.
#[derive(Debug, Clone)]
pub struct TenantCtx(pub String);

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
                Some(key) => Caller::Tenant(key.tenant_id),
                None => return Err(ApiError::Unauthorized),
            }
        };
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Admin => Ok(Admin),
            Caller::Tenant(_) => Err(ApiError::Forbidden(
                "this operation needs the admin token, not a tenant API key",
            )),
        }
    }
}

impl FromRequestParts<AppState> for TenantCtx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match Caller::from_request_parts(parts, state).await? {
            Caller::Tenant(id) => Ok(TenantCtx(id)),
            Caller::Admin => {
                let id = parts
                    .headers
                    .get(TENANT_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .ok_or(ApiError::Forbidden(
                        "the admin token acts on a tenant only with an X-Hookwire-Tenant header",
                    ))?;
                let tenant = state.hookwire.tenant(id).await?;
                Ok(TenantCtx(tenant.id))
            }
        }
    }
}
