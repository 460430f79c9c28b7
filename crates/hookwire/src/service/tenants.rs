//! Tenants and API keys.
//!
//! Tokens leave here once, at creation; the key cache may hold a key for at
//! most its stated time after revocation.

use super::Hookwire;
use crate::clock;
use crate::id::{ApiKeyId, TenantId};
use crate::model::{ApiKey, KeyDraft, Tenant};
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
    pub async fn tenant(&self, id: &TenantId) -> Result<Tenant, Error> {
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
    pub async fn delete_tenant(&self, id: &TenantId) -> Result<(), Error> {
        if id == crate::model::OPERATOR_TENANT {
            return Err(Error::Conflict(
                "the operator tenant holds the operational webhooks and cannot be deleted".into(),
            ));
        }
        let deleted = self.store.delete_tenant(id).await?;
        self.keys.clear();
        if deleted {
            Ok(())
        } else {
            Err(Error::NotFound("tenant"))
        }
    }

    /// A new API key for an existing tenant, as `draft` says (default: every
    /// scope, no expiry); the token is returned once.
    pub async fn create_api_key(
        &self,
        tenant_id: &TenantId,
        draft: KeyDraft,
    ) -> Result<(ApiKey, String), Error> {
        let spec = draft.validate(clock::now())?;
        self.tenant(tenant_id).await?;
        let (key, token) = ApiKey::from_spec(tenant_id, spec);
        self.store.insert_api_key(&key).await?;
        Ok((key, token))
    }

    /// A tenant's keys (never their tokens), newest first.
    pub async fn list_api_keys(&self, tenant_id: &TenantId) -> Result<Vec<ApiKey>, Error> {
        self.tenant(tenant_id).await?;
        Ok(self.store.list_api_keys(tenant_id).await?)
    }

    /// Revoke one of a tenant's keys: refused at once by this process, and by
    /// every other within the key cache's 2 s (see `key_cache`).
    pub async fn revoke_api_key(
        &self,
        tenant_id: &TenantId,
        key_id: &ApiKeyId,
    ) -> Result<(), Error> {
        let deleted = self.store.delete_api_key(tenant_id, key_id).await?;
        self.keys.clear();
        if deleted {
            Ok(())
        } else {
            Err(Error::NotFound("api key"))
        }
    }

    /// The live key a bearer token belongs to, if any (an expired key is
    /// none). The row is found by the token's clear prefix; the full hash is
    /// then compared in constant time. Keys found are cached for a moment
    /// (see `key_cache`), and their use is recorded at most once a minute per
    /// key, after the answer (never holding up the request).
    pub async fn authenticate(&self, token: &str) -> Result<Option<ApiKey>, Error> {
        let presented = TokenHash::of(token);
        let found = match self.keys.get(&presented) {
            Some(key) => Some(key),
            None => {
                let candidates = self.store.api_keys_by_prefix(lookup_prefix(token)).await?;
                let found = candidates.into_iter().find(|k| k.hash.matches(&presented));
                if let Some(key) = &found {
                    self.keys.put(key);
                }
                found
            }
        };
        let now = clock::now();
        let Some(key) = found.filter(|k| k.is_live(now)) else {
            return Ok(None);
        };
        if self.keys.use_is_news(&key.id) {
            let store = self.store.clone();
            let id = key.id.clone();
            tokio::spawn(async move {
                if let Err(e) = store.touch_api_key(&id, now).await {
                    tracing::debug!(key_id = %id, "could not record the key's use: {e}");
                }
            });
        }
        Ok(Some(key))
    }
}
