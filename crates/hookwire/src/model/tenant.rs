//! Tenants and their API keys.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::secret::{self, TokenHash};
use crate::{id, ValidationError};

/// An account that owns webhooks and publishes events. Tenant API keys see only
/// their own tenant's objects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// `tn_…`
    pub id: String,
    /// Display name, 1–200 characters.
    pub name: String,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
}

impl Tenant {
    /// A new tenant with a validated name.
    pub fn new(name: &str) -> Result<Self, ValidationError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ValidationError::field(
                "name",
                "must be between 1 and 200 characters",
            ));
        }
        Ok(Self {
            id: id::new_id(id::TENANT),
            name: name.to_owned(),
            created_at: crate::clock::now(),
        })
    }
}

/// A stored API key: enough to recognise a presented token, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// `key_…`
    pub id: String,
    /// The tenant the key acts for.
    pub tenant_id: String,
    /// The token's first characters, stored in clear to find this row by index.
    pub lookup_prefix: String,
    /// SHA-256 of the whole token.
    pub hash: TokenHash,
    /// When the key was created.
    pub created_at: DateTime<Utc>,
}

impl ApiKey {
    /// Generate a key for `tenant_id`: the record to store and the token to show
    /// once.
    pub fn generate(tenant_id: &str) -> (Self, String) {
        let token = secret::generate_token();
        let key = Self {
            id: id::new_id(id::API_KEY),
            tenant_id: tenant_id.to_owned(),
            lookup_prefix: secret::lookup_prefix(&token).to_owned(),
            hash: TokenHash::of(&token),
            created_at: crate::clock::now(),
        };
        (key, token)
    }
}
