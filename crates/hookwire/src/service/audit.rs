//! The audit log: recording a change and reading the log.
//!
//! Who made a change is known where the request arrived (the API's caller, the
//! dashboard's session), so the HTTP layer calls [`Hookwire::audit`] after each
//! change succeeds; this module stores it and lists it, scoped to a tenant or
//! not. A failure to record is logged and does not undo the change it describes.

use super::Hookwire;
use crate::model::{Actor, AuditAction, AuditEntry, AuditFilter};
use crate::page::{Page, PageRequest};
use crate::Error;

impl Hookwire {
    /// Record that `actor` did `action` to `target_id` of `tenant_id`.
    pub async fn audit(
        &self,
        actor: Actor,
        action: AuditAction,
        tenant_id: Option<&str>,
        target_id: Option<&str>,
    ) {
        let entry = AuditEntry::new(actor, action, tenant_id, target_id);
        if let Err(e) = self.store.insert_audit(&entry).await {
            tracing::error!(
                error = %e,
                action = entry.action.as_str(),
                target_id = entry.target_id.as_deref().unwrap_or(""),
                "the audit log could not record a change"
            );
        }
    }

    /// Audit entries, newest first; a tenant's view sets `filter.tenant_id`.
    pub async fn audit_log(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>, Error> {
        Ok(self.store.list_audit(filter, page).await?)
    }
}
