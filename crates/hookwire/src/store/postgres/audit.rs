//! The audit log (PostgreSQL).
//!
//! Owns the SQL of [`AuditStore`](crate::store::AuditStore): one insert per
//! change, a newest-first list by id (ids are time-ordered) with the tenant,
//! action and time filters, and batched deletion by age for the retention job.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::{Error, PgStore, Result};
use crate::model::{Actor, ActorType, AuditAction, AuditEntry, AuditFilter};
use crate::page::{Page, PageRequest};
use crate::store::AuditStore;

fn entry_from_row(row: &PgRow) -> Result<AuditEntry> {
    let actor: String = row.try_get("actor_type")?;
    let action: String = row.try_get("action")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
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
impl AuditStore for PgStore {
    /// One row per management change, written after the change succeeded
    /// (publishes and attempts are never audited).
    async fn insert_audit(&self, entry: &AuditEntry) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_type, actor_id, action, tenant_id, target_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&entry.id)
        .bind(entry.at)
        .bind(entry.actor.kind.as_str())
        .bind(&entry.actor.id)
        .bind(entry.action.as_str())
        .bind(&entry.tenant_id)
        .bind(&entry.target_id)
        .execute(&self.pool)
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
             WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR action = $2) \
               AND ($3::timestamptz IS NULL OR at >= $3) AND ($4::text IS NULL OR id < $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(&filter.tenant_id)
        .bind(filter.action.map(AuditAction::as_str))
        .bind(filter.since)
        .bind(&page.before_id)
        .bind(page.fetch_limit())
        .fetch_all(&self.pool)
        .await
        .map_err(|e| Error::from_sqlx(e, "audit log"))?;
        let items = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |e: &AuditEntry| &e.id))
    }

    /// The oldest entries first, at most `batch` per call.
    async fn purge_audit(&self, before: DateTime<Utc>, batch: u32) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM audit_log WHERE id IN \
               (SELECT id FROM audit_log WHERE at < $1 ORDER BY at LIMIT $2)",
        )
        .bind(before)
        .bind(i64::from(batch))
        .execute(&self.pool)
        .await
        .map_err(|e| Error::from_sqlx(e, "audit log"))?;
        Ok(done.rows_affected())
    }
}
