//! Webhook subscriptions.
//!
//! Every change goes through validation here first; the store trusts what it is
//! given.

use std::collections::HashSet;
use std::sync::Arc;

use sha2::Digest as _;

use super::Hookwire;
use crate::id::{TenantId, WebhookId};
use crate::model::{
    Circuit, DeliveryOrder, DeliveryStatus, OperationalEvent, RetryPolicy, Webhook, WebhookChange,
    WebhookDraft, WebhookPatch, WebhookSpec, OPERATOR_TENANT,
};
use crate::page::{Page, PageRequest};
use crate::store::{DeliveryFilter, WebhookChanges, WebhookFilter};
use crate::{clock, Error};

impl Hookwire {
    /// Register a webhook for a tenant. The returned record holds the secret
    /// (generated when the draft has none): show it to the caller once.
    pub async fn create_webhook(
        &self,
        tenant_id: &TenantId,
        draft: WebhookDraft,
    ) -> Result<Webhook, Error> {
        let spec = self.validate(draft, self.options.default_retry).await?;
        let webhook = Webhook::create(Some(tenant_id), spec);
        self.store.insert_webhook(&webhook).await?;
        if tenant_id == OPERATOR_TENANT {
            self.unsubscribed.forget();
        }
        self.emit_operational(OperationalEvent::webhook_changed(
            WebhookChange::Created,
            tenant_id,
            &webhook.id,
        ))
        .await;
        Ok(webhook)
    }

    /// One of the tenant's webhooks.
    pub async fn webhook(&self, tenant_id: &TenantId, id: &WebhookId) -> Result<Webhook, Error> {
        self.store
            .webhook(tenant_id, id)
            .await?
            .ok_or(Error::NotFound("webhook"))
    }

    /// The tenant's webhooks, newest first.
    pub async fn list_webhooks(
        &self,
        tenant_id: &TenantId,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>, Error> {
        Ok(self.store.list_webhooks(tenant_id, filter, page).await?)
    }

    /// The stored circuits of `webhook_ids`, by webhook id; a webhook
    /// without one is closed with no failures counted. One query, for a
    /// page of views.
    pub async fn circuits(
        &self,
        webhook_ids: &[WebhookId],
    ) -> Result<std::collections::HashMap<WebhookId, Circuit>, Error> {
        if webhook_ids.is_empty() {
            return Ok(Default::default());
        }
        let circuits = self.store.circuits(Some(webhook_ids)).await?;
        Ok(circuits
            .into_iter()
            .map(|c| (c.webhook_id.clone(), c))
            .collect())
    }

    /// Replace every writable field (PUT). Absent optional fields take their
    /// defaults; an absent secret keeps the current one.
    pub async fn replace_webhook(
        &self,
        tenant_id: &TenantId,
        id: &WebhookId,
        draft: WebhookDraft,
    ) -> Result<Webhook, Error> {
        let read = self.webhook(tenant_id, id).await?;
        let spec = self.validate(draft, self.options.default_retry).await?;
        scheme_change_has_a_secret(&read, &spec)?;
        let mut webhook = read.clone();
        webhook.apply(spec);
        self.save(&read, webhook).await
    }

    /// Change only the fields present in `patch` (PATCH).
    pub async fn patch_webhook(
        &self,
        tenant_id: &TenantId,
        id: &WebhookId,
        patch: WebhookPatch,
    ) -> Result<Webhook, Error> {
        let read = self.webhook(tenant_id, id).await?;
        let (draft, retry_base) = patch.onto(&read);
        let spec = self.validate(draft, retry_base).await?;
        scheme_change_has_a_secret(&read, &spec)?;
        let mut webhook = read.clone();
        webhook.apply(spec);
        self.save(&read, webhook).await
    }

    /// Make the global webhooks (which receive matching events of every tenant)
    /// exactly `drafts`, e.g. the config file's `[[webhooks]]`. Each gets a stable id
    /// derived from its name (or URL), so every node and every restart agree.
    pub async fn sync_global_webhooks(
        &self,
        drafts: &[WebhookDraft],
    ) -> Result<Vec<Webhook>, Error> {
        let mut webhooks = Vec::with_capacity(drafts.len());
        for (i, draft) in drafts.iter().enumerate() {
            if draft.secret.is_none() {
                return Err(crate::ValidationError::field(
                    format!("webhooks[{i}].secret"),
                    "a global webhook needs a fixed secret",
                )
                .into());
            }
            let spec = self
                .validate(draft.clone(), self.options.default_retry)
                .await?;
            let mut webhook = Webhook::create(None, spec);
            let identity = draft.name.as_deref().unwrap_or(&draft.url);
            let digest = sha2::Sha256::digest(format!("global:{identity}").as_bytes());
            webhook.id = WebhookId::from(format!(
                "{}_{}",
                crate::id::WEBHOOK,
                &hex::encode(digest)[..32]
            ));
            webhooks.push(webhook);
        }
        self.store.replace_global_webhooks(&webhooks).await?;
        Ok(webhooks)
    }

    /// Delete a webhook; its pending deliveries are cancelled with it.
    pub async fn delete_webhook(&self, tenant_id: &TenantId, id: &WebhookId) -> Result<(), Error> {
        if self.store.delete_webhook(tenant_id, id).await? {
            self.emit_operational(OperationalEvent::webhook_changed(
                WebhookChange::Deleted,
                tenant_id,
                id,
            ))
            .await;
            Ok(())
        } else {
            Err(Error::NotFound("webhook"))
        }
    }

    /// Refuse to change a webhook's `ordering` while it has deliveries pending
    /// or retrying: switching on fifo would let new deliveries overtake
    /// unordered ones still queued, and switching it off would set a line's
    /// waiting deliveries loose at once. Once its queue is drained (or its
    /// deliveries are final), the switch applies to every delivery after it.
    /// A publish that fans out while the switch commits is written with the
    /// ordering it read: the webhook generation makes it fan out again.
    async fn check_drained(&self, read: &Webhook, to: DeliveryOrder) -> Result<(), Error> {
        let tenant_id = read.tenant_id.as_deref().unwrap_or_default();
        let one = PageRequest {
            limit: 1,
            before_id: None,
        };
        for status in [DeliveryStatus::Pending, DeliveryStatus::Retrying] {
            let filter = DeliveryFilter {
                status: Some(status),
                ..Default::default()
            };
            let unfinished = self
                .store
                .list_deliveries(tenant_id, &read.id, &filter, &one)
                .await?;
            if !unfinished.items.is_empty() {
                return Err(Error::Conflict(format!(
                    "ordering: this webhook has deliveries {}; its ordering can change to \
                     {:?} once none are pending or retrying (pause publishing to it, or wait \
                     for them to finish)",
                    status.as_str(),
                    to.as_str()
                )));
            }
        }
        Ok(())
    }

    /// Write `webhook`, a changed copy of `read`, and return it as stored
    /// (see [`crate::store::WebhookStore::update_webhook`]).
    pub(super) async fn save(&self, read: &Webhook, webhook: Webhook) -> Result<Webhook, Error> {
        if webhook.ordering != read.ordering {
            self.check_drained(read, webhook.ordering).await?;
        }
        let saved = self
            .store
            .update_webhook(&webhook, WebhookChanges::between(read, &webhook))
            .await?
            // Deleted between our read and write.
            .ok_or(Error::NotFound("webhook"))?;
        // Enabled by hand: whoever did it vouches for the receiver, so its
        // circuit starts closed rather than waiting out a probe.
        if saved.is_active && !read.is_active && self.breaker.close(&saved.id, clock::now()).await?
        {
            self.wake.notify_one();
        }
        if saved.tenant_id.as_deref() == Some(OPERATOR_TENANT) {
            self.unsubscribed.forget();
        }
        if let Some(tenant_id) = &saved.tenant_id {
            self.emit_operational(OperationalEvent::webhook_changed(
                WebhookChange::Updated,
                tenant_id,
                &saved.id,
            ))
            .await;
        }
        Ok(saved)
    }

    /// The catalog's names, for validating filters and published types, from a
    /// per-process cache. Types are only ever added, so the cache can only miss
    /// a new one: when any of `wanted` is absent it is re-read from the store
    /// before anything is rejected. Publishing needs no catalog query this way.
    pub(super) async fn catalog_names(
        &self,
        wanted: &[&str],
    ) -> Result<Arc<HashSet<String>>, Error> {
        let cached = self.catalog.read().map(|c| c.clone()).unwrap_or_default();
        if wanted.iter().all(|n| cached.contains(*n)) {
            return Ok(cached);
        }
        let fresh: Arc<HashSet<String>> = Arc::new(
            self.store
                .event_types()
                .await?
                .into_iter()
                .map(|et| et.name)
                .collect(),
        );
        if let Ok(mut c) = self.catalog.write() {
            *c = fresh.clone();
        }
        Ok(fresh)
    }

    /// A draft checked into a spec: its fields, its URL under the SSRF policy, and
    /// its event types against the catalog; `retry_base` fills unset retry fields.
    pub(super) async fn validate(
        &self,
        draft: WebhookDraft,
        retry_base: RetryPolicy,
    ) -> Result<WebhookSpec, Error> {
        let exact: Vec<&str> = draft
            .events
            .iter()
            .map(String::as_str)
            .filter(|e| !e.contains('*'))
            .collect();
        let catalog = self.catalog_names(&exact).await?;
        let spec = WebhookSpec::validate(draft, retry_base, &self.options.url_policy, |name| {
            catalog.contains(name)
        })
        .await?;
        Ok(spec)
    }
}

/// A webhook's signature scheme changes only with a secret of the new kind:
/// generating one would leave a shared secret nobody was shown.
fn scheme_change_has_a_secret(read: &Webhook, spec: &WebhookSpec) -> Result<(), Error> {
    match spec.signature_scheme {
        Some(scheme) if spec.secret.is_none() && scheme != read.secret.scheme() => {
            Err(crate::ValidationError::field(
                "signature_scheme",
                format!(
                    "changing it to {} needs a `secret` of that kind with it (whsec_… for \
                     hmac-sha256, whsk_… for ed25519)",
                    scheme.as_str()
                ),
            )
            .into())
        }
        _ => Ok(()),
    }
}
