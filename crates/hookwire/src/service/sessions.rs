//! Dashboard sessions: signing a browser in and out, and portal links.
//!
//! The dashboard's sign-in form and the portal-link endpoint both end here: a
//! [`DashboardSession`] is stored (hashed) and its token handed to the caller
//! once. The HTTP layer decides who may ask for one; this module decides how long
//! it lives and whether a presented token still admits its holder.
//!
//! It never stores or logs a token, only its hash; cookies and forms are the
//! server's.

use chrono::Duration;

use super::Hookwire;
use crate::clock;
use crate::id::TenantId;
use crate::model::{ApiKey, DashboardSession, PortalDraft, SessionKind, SIGN_IN_HOURS};
use crate::secret::TokenHash;
use crate::Error;

impl Hookwire {
    /// Sign a browser in as the admin; the session's token is returned once.
    pub async fn start_admin_session(&self) -> Result<(DashboardSession, String), Error> {
        let expires = clock::now() + Duration::hours(SIGN_IN_HOURS);
        self.store_session(DashboardSession::new(
            SessionKind::Admin,
            None,
            None,
            false,
            expires,
        ))
        .await
    }

    /// Sign a browser in with a tenant's API key (already authenticated by the
    /// caller). The session ends with the key: when it is revoked, and no later
    /// than the key's own expiry.
    pub async fn start_key_session(
        &self,
        key: &ApiKey,
    ) -> Result<(DashboardSession, String), Error> {
        let mut expires = clock::now() + Duration::hours(SIGN_IN_HOURS);
        if let Some(key_expiry) = key.expires_at {
            expires = expires.min(key_expiry);
        }
        let session = DashboardSession::new(
            SessionKind::ApiKey,
            Some(key.tenant_id.clone()),
            Some(key.id.clone()),
            false,
            expires,
        );
        self.store_session(session).await
    }

    /// A portal session for one tenant, as `draft` says (lifetime, read-only);
    /// its token goes into the link.
    pub async fn create_portal_session(
        &self,
        tenant_id: &TenantId,
        draft: PortalDraft,
    ) -> Result<(DashboardSession, String), Error> {
        let expires = draft.expires_at(clock::now())?;
        self.tenant(tenant_id).await?;
        let session = DashboardSession::new(
            SessionKind::Portal,
            Some(tenant_id.to_owned()),
            None,
            draft.read_only.unwrap_or(false),
            expires,
        );
        self.store_session(session).await
    }

    /// The live session `token` belongs to, if any: unknown, signed-out,
    /// expired and ended-with-its-key-or-tenant tokens all give `None`.
    pub async fn dashboard_session(&self, token: &str) -> Result<Option<DashboardSession>, Error> {
        let found = self.store.session_by_hash(&TokenHash::of(token)).await?;
        Ok(found.filter(|s| s.is_live(clock::now())))
    }

    /// Sign out: the token admits nobody any more.
    pub async fn end_dashboard_session(&self, token: &str) -> Result<(), Error> {
        self.store.delete_session(&TokenHash::of(token)).await?;
        Ok(())
    }

    /// Store a new session (its hash) and hand back the token, shown once.
    async fn store_session(
        &self,
        (session, token): (DashboardSession, String),
    ) -> Result<(DashboardSession, String), Error> {
        self.store.insert_session(&session).await?;
        Ok((session, token))
    }
}
