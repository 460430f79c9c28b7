//! Tenants and API keys.

use super::Hookwire;
use crate::model::{ApiKey, Tenant};
use crate::page::{Page, PageRequest};
use crate::secret::{lookup_prefix, TokenHash};
use crate::Error;

impl Hookwire {
    /// Create a tenant and its first API key; the key's token is returned once.
    pub async fn create_tenant(&self, name: &str) -> Result<(Tenant, String), Error> {
        let tenant = Tenant::new(name)?;
        let (key, token) = ApiKey::generate(&tenant.id);
        self.store.create_tenant(&tenant, &key).await?;
        Ok((tenant, token))
    }

    /// One tenant.
    pub async fn tenant(&self, id: &str) -> Result<Tenant, Error> {
        self.store
            .tenant(id)
            .await?
            .ok_or(Error::NotFound("tenant"))
    }

    /// Tenants, newest first.
    pub async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>, Error> {
        Ok(self.store.list_tenants(page).await?)
    }

    /// Delete a tenant with its keys, webhooks, events and deliveries.
    pub async fn delete_tenant(&self, id: &str) -> Result<(), Error> {
        let deleted = self.store.delete_tenant(id).await?;
        self.keys.clear();
        if deleted {
            Ok(())
        } else {
            Err(Error::NotFound("tenant"))
        }
    }

    /// A new API key for an existing tenant; the token is returned once.
    pub async fn create_api_key(&self, tenant_id: &str) -> Result<(ApiKey, String), Error> {
        self.tenant(tenant_id).await?;
        let (key, token) = ApiKey::generate(tenant_id);
        self.store.insert_api_key(&key).await?;
        Ok((key, token))
    }

    /// The key a bearer token belongs to, if any. The row is found by the token's
    /// clear prefix; the full hash is then compared in constant time. Keys found
    /// are cached for a moment (see `key_cache`).
    pub async fn authenticate(&self, token: &str) -> Result<Option<ApiKey>, Error> {
        let presented = TokenHash::of(token);
        if let Some(key) = self.keys.get(&presented) {
            return Ok(Some(key));
        }
        let candidates = self.store.api_keys_by_prefix(lookup_prefix(token)).await?;
        let found = candidates.into_iter().find(|k| k.hash.matches(&presented));
        if let Some(key) = &found {
            self.keys.put(key);
        }
        Ok(found)
    }
}
