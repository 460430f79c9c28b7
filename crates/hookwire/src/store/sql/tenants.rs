//! Settings, tenants and API keys, once for both backends: process-wide
//! settings (first writer wins, so any number of nodes agree on one admin
//! token hash), tenants with their first key created in one transaction, and
//! key lookup by prefix. Keys arrive here hashed; this module never sees a
//! raw token and must not log one. Deleting a tenant relies on the schema's
//! cascades. The SQL text is each backend's ([`TenantSql`]).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{Arg, Dialect, Read};
use crate::model::{ApiKey, Scope, Tenant, OPERATOR_TENANT};
use crate::page::{Page, PageRequest};
use crate::secret::TokenHash;
use crate::store::{Error, Result, TenantStore};

/// The statements of settings, tenants and keys in one backend's dialect;
/// the comment of each lists its placeholders in order.
pub(crate) trait TenantSql {
    /// `key`: the setting's `value`.
    const SETTING: &'static str;
    /// `key, value`; an existing key keeps its value (`ON CONFLICT DO
    /// NOTHING`).
    const INSERT_SETTING: &'static str;
    /// `id, name, created_at`.
    const INSERT_TENANT: &'static str;
    /// `id`.
    const TENANT: &'static str;
    /// `before_id?, limit, operator_tenant`: newest first, without the
    /// operator's tenant.
    const LIST_TENANTS: &'static str;
    /// `id`.
    const DELETE_TENANT: &'static str;
    /// `id, tenant_id, lookup_prefix, key_hash, created_at, name, scopes,
    /// expires_at`.
    const INSERT_KEY: &'static str;
    /// `lookup_prefix`.
    const KEYS_BY_PREFIX: &'static str;
    /// `tenant_id`: newest first.
    const KEYS_OF_TENANT: &'static str;
    /// `id, tenant_id`.
    const DELETE_KEY: &'static str;
    /// `id, last_used_at`.
    const TOUCH_KEY: &'static str;
}

/// A stored tenant.
fn tenant_from_row(row: &impl Read) -> Result<Tenant> {
    Ok(Tenant {
        id: row.text("id")?.into(),
        name: row.text("name")?,
        created_at: row.time("created_at")?,
    })
}

/// A stored key: its hash, never a token.
fn api_key_from_row(row: &impl Read) -> Result<ApiKey> {
    let scopes = row.text("scopes")?;
    Ok(ApiKey {
        id: row.text("id")?.into(),
        tenant_id: row.text("tenant_id")?.into(),
        lookup_prefix: row.text("lookup_prefix")?,
        hash: TokenHash(row.text("key_hash")?),
        name: row.opt_text("name")?,
        // Stored scopes read back (see `Scope::join`).
        scopes: Scope::split(&scopes)
            .ok_or_else(|| Error::Corrupt(format!("api key scopes {scopes:?}")))?,
        created_at: row.time("created_at")?,
        expires_at: row.opt_time("expires_at")?,
        last_used_at: row.opt_time("last_used_at")?,
    })
}

/// The values of [`TenantSql::INSERT_KEY`]; the scopes are joined by the
/// caller so they outlive the statement.
fn key_args<'a>(key: &'a ApiKey, scopes: &'a str) -> [Arg<'a>; 8] {
    [
        Arg::from(key.id.as_str()),
        key.tenant_id.as_str().into(),
        (&key.lookup_prefix).into(),
        (&key.hash.0).into(),
        key.created_at.into(),
        (&key.name).into(),
        scopes.into(),
        key.expires_at.into(),
    ]
}

#[async_trait]
impl<D: Dialect + TenantSql + 'static> TenantStore for D {
    /// The cheapest round trip that proves the database answers (health
    /// checks).
    async fn ping(&self) -> Result<()> {
        self.read("SELECT 1", &[]).await?;
        Ok(())
    }

    /// A process-wide setting, as stored.
    async fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read_one(D::SETTING, &[key.into()])
            .await?
            .map(|row| row.text("value"))
            .transpose()
    }

    /// Of nodes starting together, the first writer's value stands and the
    /// others read it back.
    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool> {
        let args = [key.into(), value.into()];
        Ok(self.write("setting", D::INSERT_SETTING, &args).await? == 1)
    }

    /// The tenant and its first key in one transaction: a tenant never
    /// exists without a way in.
    async fn create_tenant(&self, tenant: &Tenant, key: &ApiKey) -> Result<()> {
        let tenant_args = [
            Arg::from(tenant.id.as_str()),
            (&tenant.name).into(),
            tenant.created_at.into(),
        ];
        let scopes = Scope::join(&key.scopes);
        let key_args = key_args(key, &scopes);
        self.write_all(&[
            ("tenant", D::INSERT_TENANT, &tenant_args),
            ("api key", D::INSERT_KEY, &key_args),
        ])
        .await?;
        Ok(())
    }

    async fn tenant(&self, id: &str) -> Result<Option<Tenant>> {
        self.read_one(D::TENANT, &[id.into()])
            .await?
            .as_ref()
            .map(tenant_from_row)
            .transpose()
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>> {
        let args = [
            Arg::from(&page.before_id),
            page.fetch_limit().into(),
            OPERATOR_TENANT.into(),
        ];
        let rows = self.read(D::LIST_TENANTS, &args).await?;
        let items = rows.iter().map(tenant_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |t: &Tenant| &t.id))
    }

    /// Everything the tenant owns goes with it through the schema's
    /// `ON DELETE CASCADE`s.
    async fn delete_tenant(&self, id: &str) -> Result<bool> {
        Ok(self.write("tenant", D::DELETE_TENANT, &[id.into()]).await? == 1)
    }

    async fn insert_api_key(&self, key: &ApiKey) -> Result<()> {
        let scopes = Scope::join(&key.scopes);
        self.write("api key", D::INSERT_KEY, &key_args(key, &scopes))
            .await?;
        Ok(())
    }

    /// The candidates for a presented token: the caller compares hashes in
    /// constant time; the prefix only finds the rows.
    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>> {
        let rows = self.read(D::KEYS_BY_PREFIX, &[prefix.into()]).await?;
        rows.iter().map(api_key_from_row).collect()
    }

    /// Newest first; hashes only, never a token.
    async fn list_api_keys(&self, tenant_id: &str) -> Result<Vec<ApiKey>> {
        let rows = self.read(D::KEYS_OF_TENANT, &[tenant_id.into()]).await?;
        rows.iter().map(api_key_from_row).collect()
    }

    async fn delete_api_key(&self, tenant_id: &str, key_id: &str) -> Result<bool> {
        let args = [key_id.into(), tenant_id.into()];
        Ok(self.write("api key", D::DELETE_KEY, &args).await? == 1)
    }

    /// When the key was last used; written at most once a minute per key and
    /// process (the engine's key cache decides), not per request.
    async fn touch_api_key(&self, key_id: &str, at: DateTime<Utc>) -> Result<()> {
        self.write("api key", D::TOUCH_KEY, &[key_id.into(), at.into()])
            .await?;
        Ok(())
    }
}
