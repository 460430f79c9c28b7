//! Settings, tenants and API keys (SQLite).
//!
//! Owns the SQL of [`TenantStore`](crate::store::TenantStore): process-wide
//! settings (first writer wins, so nodes agree on one admin token hash),
//! tenants with their first key created in one transaction, and key lookup
//! by prefix. Keys arrive here hashed; this module never sees a raw token and
//! must not log one. Deleting a tenant relies on the schema's cascades.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Connection;
use sqlx::Row;

use super::{ms, time, Error, Result, SqliteStore};
use crate::model::{ApiKey, Scope, Tenant};
use crate::page::{Page, PageRequest};
use crate::secret::TokenHash;
use crate::store::TenantStore;

fn tenant_from_row(row: &SqliteRow) -> Result<Tenant> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

/// Stored scopes read back (see [`Scope::join`]).
fn scopes(text: &str) -> Result<Vec<Scope>> {
    Scope::split(text).ok_or_else(|| Error::Corrupt(format!("api key scopes {text:?}")))
}

fn api_key_from_row(row: &SqliteRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        lookup_prefix: row.try_get("lookup_prefix")?,
        hash: TokenHash(row.try_get("key_hash")?),
        name: row.try_get("name")?,
        scopes: scopes(&row.try_get::<String, _>("scopes")?)?,
        created_at: time(row.try_get("created_at")?)?,
        expires_at: row
            .try_get::<Option<i64>, _>("expires_at")?
            .map(time)
            .transpose()?,
        last_used_at: row
            .try_get::<Option<i64>, _>("last_used_at")?
            .map(time)
            .transpose()?,
    })
}

#[async_trait]
impl TenantStore for SqliteStore {
    /// The cheapest round trip that proves the database answers (health
    /// checks).
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    /// A process-wide setting, as stored.
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?1")
                .bind(key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    /// `ON CONFLICT DO NOTHING`: of nodes starting together, the first
    /// writer's value stands and the others read it back.
    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool> {
        let done =
            sqlx::query("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .bind(key)
                .bind(value)
                .execute(&mut *self.writer.lock().await)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The tenant and its first key in one transaction: a tenant never
    /// exists without a way in.
    async fn create_tenant(&self, tenant: &Tenant, key: &ApiKey) -> Result<()> {
        let mut conn = self.writer.lock().await;
        let mut tx = conn.begin().await?;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(ms(tenant.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::from_sqlx(e, "tenant"))?;
        insert_key(&mut *tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn tenant(&self, id: &str) -> Result<Option<Tenant>> {
        sqlx::query("SELECT * FROM tenants WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(tenant_from_row)
            .transpose()
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>> {
        let rows = sqlx::query(
            "SELECT * FROM tenants WHERE (?1 IS NULL OR id < ?1) AND id <> ?3 ORDER BY id DESC LIMIT ?2",
        )
        .bind(&page.before_id)
        .bind(page.fetch_limit())
        .bind(crate::model::OPERATOR_TENANT)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(tenant_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |t: &Tenant| &t.id))
    }

    /// Everything the tenant owns goes with it through the schema's
    /// `ON DELETE CASCADE`s.
    async fn delete_tenant(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM tenants WHERE id = ?1")
            .bind(id)
            .execute(&mut *self.writer.lock().await)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_api_key(&self, key: &ApiKey) -> Result<()> {
        insert_key(&mut *self.writer.lock().await, key).await
    }

    /// The candidates for a presented token: the caller compares hashes in
    /// constant time; the prefix only finds the rows.
    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>> {
        sqlx::query("SELECT * FROM api_keys WHERE lookup_prefix = ?1")
            .bind(prefix)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(api_key_from_row)
            .collect()
    }

    /// Newest first; hashes only, never a token.
    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        sqlx::query("SELECT * FROM api_keys WHERE tenant_id = ?1 ORDER BY id DESC")
            .bind(tenant_id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(api_key_from_row)
            .collect()
    }

    async fn delete_api_key(&self, tenant_id: &str, key_id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM api_keys WHERE id = ?1 AND tenant_id = ?2")
            .bind(key_id)
            .bind(tenant_id)
            .execute(&mut *self.writer.lock().await)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// When the key was last used; written at most once a minute per key and
    /// process (the engine's key cache decides), not per request.
    async fn touch_api_key(&self, key_id: &str, at: DateTime<Utc>) -> Result<()> {
        sqlx::query("UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1")
            .bind(key_id)
            .bind(ms(at))
            .execute(&mut *self.writer.lock().await)
            .await?;
        Ok(())
    }
}

async fn insert_key<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    key: &ApiKey,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, lookup_prefix, key_hash, created_at, name, scopes, \
           expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&key.id)
    .bind(&key.tenant_id)
    .bind(&key.lookup_prefix)
    .bind(&key.hash.0)
    .bind(ms(key.created_at))
    .bind(&key.name)
    .bind(Scope::join(&key.scopes))
    .bind(key.expires_at.map(ms))
    .execute(exec)
    .await
    .map_err(|e| Error::from_sqlx(e, "api key"))?;
    Ok(())
}
