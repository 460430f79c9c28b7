//! Dashboard sessions: a browser signed in to the dashboard, and portal links.
//!
//! The dashboard never keeps an API key or the admin token in the browser.
//! Signing in (or opening a portal link) makes a session: a random token that
//! the browser holds in a cookie and the store keeps only as a SHA-256, with who
//! it acts for and until when. Any node can check one against the database;
//! signing out deletes it, and the schema ends a session with its API key or its
//! tenant. A portal link is a session made by the API for one tenant, possibly
//! read-only, whose token travels in the link instead of a sign-in form.

use chrono::{DateTime, Duration, SubsecRound as _, Utc};

use crate::id::{self, ApiKeyId, TenantId};
use crate::secret::{self, TokenHash};
use crate::ValidationError;

/// How a session was made, which decides what it may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// Signed in with the admin token: every tenant, the tenant switcher.
    Admin,
    /// Signed in with a tenant's API key (one with `read` and `manage`).
    ApiKey,
    /// Opened through a portal link: that tenant alone, nothing admin.
    Portal,
}

impl SessionKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Admin => "admin",
            SessionKind::ApiKey => "api_key",
            SessionKind::Portal => "portal",
        }
    }

    /// The kind a stored name stands for.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(SessionKind::Admin),
            "api_key" => Some(SessionKind::ApiKey),
            "portal" => Some(SessionKind::Portal),
            _ => None,
        }
    }
}

/// A stored session (never its token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardSession {
    /// `ses_…`.
    pub id: String,
    /// SHA-256 of the token the browser holds.
    pub hash: TokenHash,
    /// How it was made.
    pub kind: SessionKind,
    /// The tenant it acts for; `None` for the admin (who picks one).
    pub tenant_id: Option<TenantId>,
    /// The API key it was made with ([`SessionKind::ApiKey`]): revoking the key
    /// ends the session.
    pub key_id: Option<ApiKeyId>,
    /// Shows everything and changes nothing.
    pub read_only: bool,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it stops admitting its holder (the retention job deletes it later).
    pub expires_at: DateTime<Utc>,
}

/// How long a signed-in session lasts (a portal link says its own).
pub const SIGN_IN_HOURS: i64 = 12;
/// Bounds of a portal link's lifetime, in seconds.
pub const PORTAL_SECONDS: std::ops::RangeInclusive<i64> = 60..=86_400;
/// A portal link's lifetime when the request names none.
pub const PORTAL_DEFAULT_SECONDS: i64 = 3_600;

impl DashboardSession {
    /// A new session and the token for the browser (shown once, never stored).
    pub fn new(
        kind: SessionKind,
        tenant_id: Option<TenantId>,
        key_id: Option<ApiKeyId>,
        read_only: bool,
        expires_at: DateTime<Utc>,
    ) -> (Self, String) {
        let token = secret::generate_session_token();
        let session = Self {
            id: id::new_id(id::SESSION),
            hash: TokenHash::of(&token),
            kind,
            tenant_id,
            key_id,
            read_only,
            created_at: Utc::now().trunc_subsecs(3),
            expires_at: expires_at.trunc_subsecs(3),
        };
        (session, token)
    }

    /// Whether it still admits its holder at `now`.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// The request for a portal link: `{expires_in_seconds?, read_only?}`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortalDraft {
    /// Lifetime of the link and of the session it opens, 60–86400 (default 3600).
    pub expires_in_seconds: Option<i64>,
    /// Hide and refuse every control that changes something (default false).
    pub read_only: Option<bool>,
}

impl PortalDraft {
    /// The link's expiry from `now`, or the field that is out of bounds.
    pub fn expires_at(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, ValidationError> {
        let seconds = self.expires_in_seconds.unwrap_or(PORTAL_DEFAULT_SECONDS);
        if !PORTAL_SECONDS.contains(&seconds) {
            return Err(ValidationError::field(
                "expires_in_seconds",
                format!(
                    "must be between {} and {} seconds",
                    PORTAL_SECONDS.start(),
                    PORTAL_SECONDS.end()
                ),
            ));
        }
        Ok(now + Duration::seconds(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_portal_lifetime_is_bounded_and_defaults_to_an_hour() {
        let now = Utc::now();
        assert_eq!(
            PortalDraft::default().expires_at(now).unwrap(),
            now + Duration::hours(1)
        );
        for bad in [0, 59, 86_401, -5] {
            let draft = PortalDraft {
                expires_in_seconds: Some(bad),
                read_only: None,
            };
            assert_eq!(
                draft.expires_at(now).unwrap_err().field,
                "expires_in_seconds"
            );
        }
        let day = PortalDraft {
            expires_in_seconds: Some(86_400),
            read_only: Some(true),
        };
        assert_eq!(day.expires_at(now).unwrap(), now + Duration::days(1));
    }

    #[test]
    fn the_token_is_not_stored_and_each_session_has_its_own() {
        let later = Utc::now() + Duration::hours(1);
        let (a, token_a) = DashboardSession::new(SessionKind::Admin, None, None, false, later);
        let (b, token_b) = DashboardSession::new(SessionKind::Admin, None, None, false, later);
        assert_ne!(token_a, token_b);
        assert!(a.hash.matches(&TokenHash::of(&token_a)));
        assert!(!a.hash.0.contains(&token_a) && a.id != b.id);
        assert!(a.is_live(Utc::now()) && !a.is_live(later));
    }
}
