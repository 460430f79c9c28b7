//! Webhook subscriptions.

use std::collections::HashSet;

use super::Hookwire;
use crate::model::{RetryPolicy, Webhook, WebhookDraft, WebhookPatch, WebhookSpec};
use crate::page::{Page, PageRequest};
use crate::store::WebhookFilter;
use crate::Error;

impl Hookwire {
    /// Register a webhook for a tenant. The returned record holds the secret
    /// (generated when the draft has none): show it to the caller once.
    pub async fn create_webhook(
        &self,
        tenant_id: &str,
        draft: WebhookDraft,
    ) -> Result<Webhook, Error> {
        let spec = self.validate(draft, RetryPolicy::default()).await?;
        let webhook = Webhook::create(Some(tenant_id), spec);
        self.store.insert_webhook(&webhook).await?;
        Ok(webhook)
    }

    /// One of the tenant's webhooks.
    pub async fn webhook(&self, tenant_id: &str, id: &str) -> Result<Webhook, Error> {
        self.store
            .webhook(tenant_id, id)
            .await?
            .ok_or(Error::NotFound("webhook"))
    }

    /// The tenant's webhooks, newest first.
    pub async fn list_webhooks(
        &self,
        tenant_id: &str,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>, Error> {
        Ok(self.store.list_webhooks(tenant_id, filter, page).await?)
    }

    /// Replace every writable field (PUT). Absent optional fields take their
    /// defaults; an absent secret keeps the current one.
    pub async fn replace_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        draft: WebhookDraft,
    ) -> Result<Webhook, Error> {
        let mut webhook = self.webhook(tenant_id, id).await?;
        let spec = self.validate(draft, RetryPolicy::default()).await?;
        webhook.apply(spec);
        self.save(webhook).await
    }

    /// Change only the fields present in `patch` (PATCH).
    pub async fn patch_webhook(
        &self,
        tenant_id: &str,
        id: &str,
        patch: WebhookPatch,
    ) -> Result<Webhook, Error> {
        let mut webhook = self.webhook(tenant_id, id).await?;
        let (draft, retry_base) = patch.onto(&webhook);
        let spec = self.validate(draft, retry_base).await?;
        webhook.apply(spec);
        self.save(webhook).await
    }

    /// Delete a webhook; its pending deliveries are cancelled with it.
    pub async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<(), Error> {
        if self.store.delete_webhook(tenant_id, id).await? {
            Ok(())
        } else {
            Err(Error::NotFound("webhook"))
        }
    }

    async fn save(&self, webhook: Webhook) -> Result<Webhook, Error> {
        if self.store.update_webhook(&webhook).await? {
            Ok(webhook)
        } else {
            // Deleted between our read and write.
            Err(Error::NotFound("webhook"))
        }
    }

    async fn validate(
        &self,
        draft: WebhookDraft,
        retry_base: RetryPolicy,
    ) -> Result<WebhookSpec, Error> {
        let catalog: HashSet<String> = self
            .store
            .event_types()
            .await?
            .into_iter()
            .map(|et| et.name)
            .collect();
        let spec = WebhookSpec::validate(draft, retry_base, &self.options.url_policy, |name| {
            catalog.contains(name)
        })
        .await?;
        Ok(spec)
    }
}
