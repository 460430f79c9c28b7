//! API keys: what a tenant's key may do (scopes), until when (expiry), and
//! how a presented token is recognised without storing it.
//!
//! A key is stored as the SHA-256 of its token plus the token's first
//! characters in clear (to find the row by index); the token itself is shown
//! once, when the key is created. Revoking a key deletes its row.
//!
//! It owns the key's rules, not its storage: the store keeps the hash and the
//! prefix, and nothing in this module may log or keep a token.

use chrono::{DateTime, SubsecRound as _, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{ApiKeyId, TenantId};
use crate::secret::{self, TokenHash};
use crate::ValidationError;

/// What a key may do. Every route of the API needs exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Scope {
    /// `POST /events`.
    Publish,
    /// Every `GET` of the tenant's objects.
    Read,
    /// Everything that changes the tenant's configuration: webhooks, keys,
    /// retries and test sends.
    Manage,
}

impl Scope {
    /// Every scope, in the order views list them.
    pub const ALL: [Scope; 3] = [Scope::Publish, Scope::Read, Scope::Manage];

    /// The scope's name, as in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Publish => "publish",
            Scope::Read => "read",
            Scope::Manage => "manage",
        }
    }

    /// The scope named `name`, if any.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// `scopes` as stored: names separated by spaces.
    pub fn join(scopes: &[Scope]) -> String {
        let names: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
        names.join(" ")
    }

    /// A stored [`join`](Self::join) read back; `None` if a name is unknown.
    pub fn split(text: &str) -> Option<Vec<Scope>> {
        text.split_whitespace().map(Scope::parse).collect()
    }
}

/// A stored API key: enough to recognise a presented token, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// `key_…`
    pub id: ApiKeyId,
    /// The tenant the key acts for.
    pub tenant_id: TenantId,
    /// A label for people ("CI", "billing service").
    pub name: Option<String>,
    /// The token's first characters, stored in clear to find this row by index
    /// (and shown in lists, so a person can tell keys apart).
    pub lookup_prefix: String,
    /// SHA-256 of the whole token.
    pub hash: TokenHash,
    /// What the key may do; never empty, sorted.
    pub scopes: Vec<Scope>,
    /// When the key was created.
    pub created_at: DateTime<Utc>,
    /// After this the key is refused.
    pub expires_at: Option<DateTime<Utc>>,
    /// When the key was last seen, to within a minute per node.
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Generate a key for `tenant_id` with every scope and no expiry: the
    /// record to store and the token to show once.
    pub fn generate(tenant_id: &TenantId) -> (Self, String) {
        Self::from_spec(tenant_id, KeySpec::default())
    }

    /// Generate a key as `spec` says: the record and the token to show once.
    pub fn from_spec(tenant_id: &TenantId, spec: KeySpec) -> (Self, String) {
        let token = secret::generate_token();
        let key = Self {
            id: ApiKeyId::generate(),
            tenant_id: tenant_id.clone(),
            name: spec.name,
            lookup_prefix: secret::lookup_prefix(&token).to_owned(),
            hash: TokenHash::of(&token),
            scopes: spec.scopes,
            created_at: crate::clock::now(),
            expires_at: spec.expires_at,
            last_used_at: None,
        };
        (key, token)
    }

    /// Whether the key may still be used at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.expires_at.is_none_or(|at| now < at)
    }

    /// Whether the key grants `scope`.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// The body that creates a key (`POST /keys`, `POST /tenants/{id}/keys`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(example = json!({
    "name": "billing service",
    "scopes": ["publish"],
    "expires_at": "2027-01-01T00:00:00Z"
})))]
pub struct KeyDraft {
    /// A label for people; at most 200 characters.
    pub name: Option<String>,
    /// Default: all three.
    pub scopes: Option<Vec<String>>,
    /// Refused after this time (RFC 3339, in the future). Default: never.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A [`KeyDraft`] that passed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct KeySpec {
    /// Trimmed, non-empty.
    pub name: Option<String>,
    /// Non-empty, sorted, no repeats.
    pub scopes: Vec<Scope>,
    /// In the future when validated.
    pub expires_at: Option<DateTime<Utc>>,
}

impl Default for KeySpec {
    fn default() -> Self {
        Self {
            name: None,
            scopes: Scope::ALL.to_vec(),
            expires_at: None,
        }
    }
}

impl KeyDraft {
    /// Check every field, naming the first that is wrong.
    pub fn validate(self, now: DateTime<Utc>) -> Result<KeySpec, ValidationError> {
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(n) if n.chars().count() > 200 => {
                return Err(ValidationError::field("name", "at most 200 characters"))
            }
            Some(n) if n.chars().any(char::is_control) => {
                return Err(ValidationError::field(
                    "name",
                    "must not contain control characters",
                ))
            }
            Some(n) => Some(n.to_owned()),
        };
        let scopes = match self.scopes {
            None => Scope::ALL.to_vec(),
            Some(names) => {
                let mut scopes = Vec::with_capacity(names.len());
                for (i, n) in names.iter().enumerate() {
                    let scope = Scope::parse(n).ok_or_else(|| {
                        ValidationError::field(
                            format!("scopes[{i}]"),
                            format!("unknown scope {n:?}: one of publish, read, manage"),
                        )
                    })?;
                    scopes.push(scope);
                }
                scopes.sort();
                scopes.dedup();
                if scopes.is_empty() {
                    return Err(ValidationError::field(
                        "scopes",
                        "at least one of publish, read, manage (leave it out for all three)",
                    ));
                }
                scopes
            }
        };
        if self.expires_at.is_some_and(|at| at <= now) {
            return Err(ValidationError::field(
                "expires_at",
                "must be in the future",
            ));
        }
        Ok(KeySpec {
            name,
            scopes,
            // Stored to the millisecond, like every time here: answered so too.
            expires_at: self.expires_at.map(|at| at.trunc_subsecs(3)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn a_draft_defaults_to_every_scope_and_names_a_bad_field() {
        let now = crate::clock::now();
        let spec = KeyDraft::default().validate(now).unwrap();
        assert_eq!(spec.scopes, Scope::ALL.to_vec());
        let spec = KeyDraft {
            name: Some("  ci ".into()),
            scopes: Some(vec!["read".into(), "publish".into(), "read".into()]),
            expires_at: Some(now + TimeDelta::days(1)),
        }
        .validate(now)
        .unwrap();
        assert_eq!(spec.name.as_deref(), Some("ci"));
        assert_eq!(spec.scopes, [Scope::Publish, Scope::Read]);
        let bad = |d: KeyDraft| d.validate(now).unwrap_err().field;
        let scopes = |s: &[&str]| KeyDraft {
            scopes: Some(s.iter().map(|s| (*s).to_owned()).collect()),
            ..KeyDraft::default()
        };
        assert_eq!(bad(scopes(&["read", "admin"])), "scopes[1]");
        assert_eq!(bad(scopes(&[])), "scopes");
        let past = KeyDraft {
            expires_at: Some(now - TimeDelta::seconds(1)),
            ..KeyDraft::default()
        };
        assert_eq!(bad(past), "expires_at");
        let long = KeyDraft {
            name: Some("x".repeat(201)),
            ..KeyDraft::default()
        };
        assert_eq!(bad(long), "name");
    }

    #[test]
    fn an_expired_key_is_not_live() {
        let now = crate::clock::now();
        let (mut key, _) = ApiKey::generate(&"tn_1".into());
        assert!(key.is_live(now));
        key.expires_at = Some(now);
        assert!(!key.is_live(now));
        assert!(key.allows(Scope::Manage));
    }
}
