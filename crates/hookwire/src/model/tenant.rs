//! Tenants: the accounts that own webhooks (their keys: `api_key.rs`).
//!
//! Plain data and its name rule; what a tenant owns is removed by the schema's
//! cascades, not here.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::TenantId;
use crate::ValidationError;

/// An account that owns webhooks and publishes events. Tenant API keys see only
/// their own tenant's objects.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Tenant {
    /// `tn_…`
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub id: TenantId,
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
        if name.chars().any(char::is_control) {
            return Err(ValidationError::field(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self {
            id: TenantId::generate(),
            name: name.to_owned(),
            created_at: crate::clock::now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_one_with_control_characters_refused() {
        assert_eq!(Tenant::new("  acme ").unwrap().name, "acme");
        for bad in ["", "   ", "a\0b", "a\u{7}b", &"x".repeat(201)] {
            assert_eq!(Tenant::new(bad).unwrap_err().field, "name", "{bad:?}");
        }
    }
}
