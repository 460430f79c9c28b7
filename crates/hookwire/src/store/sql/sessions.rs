//! Dashboard sessions, once for both backends. Sessions arrive with their
//! token already hashed; this module never sees a token. Ending a session
//! with its key or tenant is the schema's cascade, not code here. The SQL
//! text is each backend's ([`SessionSql`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Arg, Dialect, Read};
use crate::model::{DashboardSession, SessionKind};
use crate::secret::TokenHash;
use crate::store::{Error, Result, SessionStore};

/// The sessions' statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait SessionSql {
    /// `id, token_hash, kind, tenant_id, key_id, read_only, created_at,
    /// expires_at`.
    const INSERT: &'static str;
    /// `token_hash`: the session's row.
    const BY_HASH: &'static str;
    /// `token_hash`.
    const DELETE: &'static str;
    /// `now`: every session that ended at or before it.
    const DELETE_EXPIRED: &'static str;
}

/// A stored session; an unknown kind is corrupt data.
fn session_from_row(row: &impl Read) -> Result<DashboardSession> {
    let kind = row.text("kind")?;
    Ok(DashboardSession {
        id: row.text("id")?,
        hash: TokenHash(row.text("token_hash")?),
        kind: SessionKind::parse(&kind)
            .ok_or_else(|| Error::Corrupt(format!("session kind {kind:?}")))?,
        tenant_id: row.opt_text("tenant_id")?.map(Into::into),
        key_id: row.opt_text("key_id")?.map(Into::into),
        read_only: row.flag("read_only")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

#[async_trait]
impl<D: Dialect + SessionSql + 'static> SessionStore for D {
    /// Only the token's hash is stored, as for API keys.
    async fn insert_session(&self, session: &DashboardSession) -> Result<()> {
        let args = [
            Arg::from(&session.id),
            (&session.hash.0).into(),
            session.kind.as_str().into(),
            session.tenant_id.as_deref().into(),
            session.key_id.as_deref().into(),
            session.read_only.into(),
            session.created_at.into(),
            session.expires_at.into(),
        ];
        self.write("dashboard session", D::INSERT, &args).await?;
        Ok(())
    }

    /// Expiry is the caller's to check: an expired row may still be here
    /// until the next sweep.
    async fn session_by_hash(&self, hash: &TokenHash) -> Result<Option<DashboardSession>> {
        self.read_one(D::BY_HASH, &[Arg::from(&hash.0)])
            .await?
            .as_ref()
            .map(session_from_row)
            .transpose()
    }

    /// Signing out: the session stops working on every node at once.
    async fn delete_session(&self, hash: &TokenHash) -> Result<bool> {
        let deleted = self
            .write("dashboard session", D::DELETE, &[Arg::from(&hash.0)])
            .await?;
        Ok(deleted == 1)
    }

    /// The periodic sweep of sessions past their end.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        self.write("dashboard session", D::DELETE_EXPIRED, &[now.into()])
            .await
    }
}
