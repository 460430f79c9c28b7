//! The audit log (SQLite).
//!
//! Owns the SQL of [`AuditStore`](crate::store::AuditStore): one insert per
//! change, a newest-first list by id (ids are time-ordered) with the tenant,
//! action and time filters, and batched deletion by age for the retention job.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{ms, time, Error, Result, SqliteStore};
use crate::model::{Actor, ActorType, AuditAction, AuditEntry, AuditFilter};
use crate::page::{Page, PageRequest};
use crate::store::AuditStore;

fn entry_from_row(row: &SqliteRow) -> Result<AuditEntry> {
    let actor: String = row.try_get("actor_type")?;
    let action: String = row.try_get("action")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: time(row.try_get("at")?)?,
        actor: Actor {
            kind: ActorType::parse(&actor)
                .ok_or_else(|| Error::Corrupt(format!("audit actor {actor:?}")))?,
            id: row.try_get("actor_id")?,
        },
        action: AuditAction::parse(&action)
            .ok_or_else(|| Error::Corrupt(format!("audit action {action:?}")))?,
        tenant_id: row.try_get("tenant_id")?,
        target_id: row.try_get("target_id")?,
    })
}

#[async_trait]
impl AuditStore for SqliteStore {
    /// One row per management change, written after the change succeeded
    /// (publishes and attempts are never audited).
    async fn insert_audit(&self, entry: &AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_type, actor_id, action, tenant_id, target_id) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .bind(&entry.id)
        .bind(ms(entry.at))
        .bind(entry.actor.kind.as_str())
        .bind(&entry.actor.id)
        .bind(entry.action.as_str())
        .bind(&entry.tenant_id)
        .bind(&entry.target_id)
        .execute(&mut *self.writer.lock().await)
        .await
        .map_err(|e| Error::from_sqlx(e, "audit entry"))?;
        Ok(())
    }

    /// Newest first by id, keyset-paged; each filter optional.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEntry>> {
        let rows = sqlx::query(
            "SELECT * FROM audit_log \
             WHERE (?1 IS NULL OR tenant_id = ?1) AND (?2 IS NULL OR action = ?2) \
               AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR id < ?4) \
             ORDER BY id DESC LIMIT ?5",
        )
        .bind(&filter.tenant_id)
        .bind(filter.action.map(AuditAction::as_str))
        .bind(filter.since.map(ms))
        .bind(&page.before_id)
        .bind(page.fetch_limit())
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |e: &AuditEntry| &e.id))
    }

    /// The oldest entries first, at most `batch` per call.
    async fn purge_audit(&self, before: DateTime<Utc>, batch: u32) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM audit_log WHERE id IN \
               (SELECT id FROM audit_log WHERE at < ?1 ORDER BY at LIMIT ?2)",
        )
        .bind(ms(before))
        .bind(i64::from(batch))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected())
    }
}
