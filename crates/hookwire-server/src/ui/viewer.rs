//! Who is looking at a dashboard page: the signed-in caller as plain data.
//! `session.rs` makes one from the request's cookies; the pages and their
//! layout read it, and name it in the audit log through
//! [`TenantSession::audit`].

use hookwire::model::{Actor, AuditAction};
use hookwire::TenantId;

use crate::http::state::AppState;

/// A signed-in caller.
#[derive(Debug, Clone)]
pub(super) struct Session {
    /// Signed in with the admin token (may switch tenants).
    pub admin: bool,
    /// The tenant whose objects the pages show: the key's own, or the admin's pick.
    pub tenant: Option<TenantId>,
    /// That tenant's name, shown in the page header.
    pub tenant_name: Option<String>,
    /// Shows everything and changes nothing: controls that change something
    /// are not drawn, and such requests are refused.
    pub read_only: bool,
    /// Who the audit log says made the changes of this session.
    pub actor: Actor,
}

/// A signed-in caller with a tenant to act on.
#[derive(Debug, Clone)]
pub(super) struct TenantSession {
    pub session: Session,
    pub tenant_id: TenantId,
}

impl TenantSession {
    /// Record in the audit log that this session did `action` to `target`
    /// (empty: to nothing in particular).
    pub async fn audit(&self, state: &AppState, action: AuditAction, target: &str) {
        state
            .hookwire
            .audit(
                self.session.actor.clone(),
                action,
                Some(&self.tenant_id),
                Some(target).filter(|t| !t.is_empty()),
            )
            .await;
    }
}
