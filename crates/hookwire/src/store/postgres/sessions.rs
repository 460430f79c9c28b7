//! Dashboard sessions (PostgreSQL).
//!
//! Owns the SQL of [`SessionStore`](crate::store::SessionStore). Sessions arrive
//! with their token already hashed; this module never sees a token. Ending a
//! session with its key or tenant is the schema's cascade, not code here.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::Row;

use super::{Error, PgStore, Result};
use crate::model::{DashboardSession, SessionKind};
use crate::secret::TokenHash;
use crate::store::SessionStore;

fn session_from_row(row: &PgRow) -> Result<DashboardSession> {
    let kind: String = row.try_get("kind")?;
    Ok(DashboardSession {
        id: row.try_get("id")?,
        hash: TokenHash(row.try_get("token_hash")?),
        kind: SessionKind::parse(&kind)
            .ok_or_else(|| Error::Corrupt(format!("session kind {kind:?}")))?,
        tenant_id: row.try_get("tenant_id")?,
        key_id: row.try_get("key_id")?,
        read_only: row.try_get("read_only")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
    })
}

#[async_trait]
impl SessionStore for PgStore {
    /// Only the token's hash is stored, as for API keys.
    async fn insert_session(&self, session: &DashboardSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO dashboard_sessions \
               (id, token_hash, kind, tenant_id, key_id, read_only, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&session.id)
        .bind(&session.hash.0)
        .bind(session.kind.as_str())
        .bind(&session.tenant_id)
        .bind(&session.key_id)
        .bind(session.read_only)
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(&self.pool)
        .await
        .map_err(|e| Error::from_sqlx(e, "dashboard session"))?;
        Ok(())
    }

    /// Expiry is the caller's to check: an expired row may still be here
    /// until the next sweep.
    async fn session_by_hash(&self, hash: &TokenHash) -> Result<Option<DashboardSession>> {
        sqlx::query("SELECT * FROM dashboard_sessions WHERE token_hash = $1")
            .bind(&hash.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, "dashboard session"))?
            .as_ref()
            .map(session_from_row)
            .transpose()
    }

    /// Signing out: the session stops working on every node at once.
    async fn delete_session(&self, hash: &TokenHash) -> Result<bool> {
        let done = sqlx::query("DELETE FROM dashboard_sessions WHERE token_hash = $1")
            .bind(&hash.0)
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, "dashboard session"))?;
        Ok(done.rows_affected() == 1)
    }

    /// The periodic sweep of sessions past their end.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let done = sqlx::query("DELETE FROM dashboard_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, "dashboard sessions"))?;
        Ok(done.rows_affected())
    }
}
