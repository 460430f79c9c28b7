//! Who is looking at a dashboard page: the signed-in caller as plain data.
//! `session.rs` makes one from the request's cookies; the pages and their
//! layout only read it.

/// A signed-in caller.
#[derive(Debug, Clone)]
pub(super) struct Session {
    /// Signed in with the admin token (may switch tenants).
    pub admin: bool,
    /// The tenant whose objects the pages show: the key's own, or the admin's pick.
    pub tenant: Option<String>,
    /// That tenant's name, shown in the page header.
    pub tenant_name: Option<String>,
    /// Shows everything and changes nothing: controls that change something
    /// are not drawn, and such requests are refused.
    pub read_only: bool,
}

/// A signed-in caller with a tenant to act on.
#[derive(Debug, Clone)]
pub(super) struct TenantSession {
    pub session: Session,
    pub tenant_id: String,
}
