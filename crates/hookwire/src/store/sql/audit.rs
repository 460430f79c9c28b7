//! The audit log, once for both backends: one insert per change, a
//! newest-first list by id (ids are time-ordered) with the tenant, action
//! and time filters, and batched deletion by age for the retention job.
//! The SQL text is each backend's ([`AuditSql`]).
//!
//! No SQL text and no driver type here.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Arg, Dialect, Read};
use crate::model::{Actor, ActorType, AuditAction, AuditEntry, AuditFilter};
use crate::page::{Page, PageRequest};
use crate::store::{AuditStore, Error, Result};

/// The audit log's statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait AuditSql {
    /// `id, at, actor_type, actor_id, action, tenant_id, target_id`.
    const INSERT: &'static str;
    /// `tenant_id?, action?, since?, before_id?, limit`; each `?` filter
    /// applies only when not NULL; newest id first.
    const LIST: &'static str;
    /// `before, batch`: delete at most `batch` entries older than `before`,
    /// oldest first.
    const PURGE: &'static str;
}

/// A stored entry; an unknown actor type or action is corrupt data.
fn entry_from_row(row: &impl Read) -> Result<AuditEntry> {
    let actor = row.text("actor_type")?;
    let action = row.text("action")?;
    Ok(AuditEntry {
        id: row.text("id")?,
        at: row.time("at")?,
        actor: Actor {
            kind: ActorType::parse(&actor)
                .ok_or_else(|| Error::Corrupt(format!("audit actor {actor:?}")))?,
            id: row.opt_text("actor_id")?,
        },
        action: AuditAction::parse(&action)
            .ok_or_else(|| Error::Corrupt(format!("audit action {action:?}")))?,
        tenant_id: row.opt_text("tenant_id")?,
        target_id: row.opt_text("target_id")?,
    })
}

#[async_trait]
impl<D: Dialect + AuditSql + 'static> AuditStore for D {
    /// One row per management change, written after the change succeeded
    /// (publishes and attempts are never audited).
    async fn insert_audit(&self, entry: &AuditEntry) -> Result<()> {
        let args = [
            Arg::from(&entry.id),
            entry.at.into(),
            entry.actor.kind.as_str().into(),
            (&entry.actor.id).into(),
            entry.action.as_str().into(),
            (&entry.tenant_id).into(),
            (&entry.target_id).into(),
        ];
        self.write("audit entry", D::INSERT, &args).await?;
        Ok(())
    }

    /// Newest first by id, keyset-paged; each filter optional.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let args = [
            Arg::from(&filter.tenant_id),
            filter.action.map(AuditAction::as_str).into(),
            filter.since.into(),
            (&page.before_id).into(),
            page.fetch_limit().into(),
        ];
        let rows = self.read(D::LIST, &args).await?;
        let items = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |e: &AuditEntry| &e.id))
    }

    /// The oldest entries first, at most `batch` per call.
    async fn purge_audit(&self, before: DateTime<Utc>, batch: u32) -> Result<u64> {
        let args = [before.into(), i64::from(batch).into()];
        self.write("audit entry", D::PURGE, &args).await
    }
}
