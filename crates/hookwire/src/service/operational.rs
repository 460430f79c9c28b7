//! Operational events: publishing hookwire's own events
//! ([`OperationalEvent`]) to the operator's endpoints.
//!
//! An operational event is an ordinary publish into the reserved operator
//! tenant, so its deliveries are signed, retried and kept like any other. It is
//! published only when some active operational webhook subscribes to its type
//! (no event rows for nobody), and never about the operator tenant itself (no
//! loops). Emitting is best effort: the change it reports has already
//! happened, so a failure to emit is logged, not returned.
//!
//! "Nobody subscribes to this type" is remembered for [`UNSUBSCRIBED_FOR`],
//! so a fleet of failing deliveries (one `delivery.exhausted` each) costs no
//! lookup per failure when the operator has no operational webhooks. A node
//! forgets it when an operational webhook is created or changed through it;
//! one created through another node gets events from this node after at
//! most [`UNSUBSCRIBED_FOR`].

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::Digest as _;

use super::Hookwire;
use crate::id::{TenantId, WebhookId};
use crate::model::{
    EventTypeName, NewEvent, OperationalEvent, Webhook, WebhookDraft, OPERATOR_TENANT,
};
use crate::page::PageRequest;
use crate::store::WebhookFilter;
use crate::{Error, ValidationError};

/// How long a node trusts that no operational webhook subscribes to a type.
pub const UNSUBSCRIBED_FOR: Duration = Duration::from_secs(1);

/// Operational event types found to have no subscriber, and when.
#[derive(Debug, Default)]
pub(crate) struct Unsubscribed(Mutex<HashMap<&'static str, Instant>>);

impl Unsubscribed {
    /// Whether nobody subscribed to `event_type` as of less than
    /// `UNSUBSCRIBED_FOR` ago (then an emit skips the lookup).
    fn holds(&self, event_type: &str) -> bool {
        let seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.get(event_type)
            .is_some_and(|at| at.elapsed() < UNSUBSCRIBED_FOR)
    }

    /// Note that a lookup just found no subscriber for `event_type`.
    fn remember(&self, event_type: &'static str) {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        seen.insert(event_type, Instant::now());
    }

    /// An operational webhook was created or changed: look again.
    pub(crate) fn forget(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

impl Hookwire {
    /// Register or update the operational webhooks of the config file
    /// (`[[operational_webhooks]]`). Each gets a stable id from its name (or
    /// URL), so every node and restart agree, and a fixed secret (the operator
    /// verifies with it). Ones removed from the file stay until deleted
    /// through the API.
    pub async fn sync_operational_webhooks(
        &self,
        drafts: &[WebhookDraft],
    ) -> Result<Vec<Webhook>, Error> {
        let mut synced = Vec::with_capacity(drafts.len());
        for (i, draft) in drafts.iter().enumerate() {
            if draft.secret.is_none() {
                return Err(ValidationError::field(
                    format!("operational_webhooks[{i}].secret"),
                    "an operational webhook from the config file needs a fixed secret",
                )
                .into());
            }
            let identity = draft.name.as_deref().unwrap_or(&draft.url);
            let digest = sha2::Sha256::digest(format!("operational:{identity}").as_bytes());
            let id = WebhookId::from(format!(
                "{}_{}",
                crate::id::WEBHOOK,
                &hex::encode(digest)[..32]
            ));
            let operator = TenantId::from(OPERATOR_TENANT);
            let webhook = match self.store.webhook(&operator, &id).await? {
                Some(_) => self.replace_webhook(&operator, &id, draft.clone()).await?,
                None => {
                    let spec = self
                        .validate(draft.clone(), self.options.default_retry)
                        .await
                        .map_err(|e| prefixed(e, i))?;
                    let mut webhook = Webhook::create(Some(&operator), spec);
                    webhook.id = id;
                    self.store.insert_webhook(&webhook).await?;
                    self.unsubscribed.forget();
                    webhook
                }
            };
            synced.push(webhook);
        }
        Ok(synced)
    }

    /// Publish `event` to the operational webhooks that subscribe to it.
    pub async fn emit_operational(&self, event: OperationalEvent) {
        if event.tenant_id == OPERATOR_TENANT {
            return;
        }
        if let Err(e) = self.try_emit(&event).await {
            tracing::warn!(
                event_type = event.event_type,
                tenant_id = %event.tenant_id,
                error = %e,
                "an operational event could not be published"
            );
        }
    }

    /// Publish `event` to the operator's tenant when an active operational
    /// webhook subscribes to its type; errors go to the caller to log.
    async fn try_emit(&self, event: &OperationalEvent) -> Result<(), crate::Error> {
        if self.unsubscribed.holds(event.event_type) {
            return Ok(());
        }
        let filter = WebhookFilter {
            event: Some(EventTypeName::parse(event.event_type, "type")?),
            is_active: Some(true),
        };
        let one = PageRequest {
            limit: 1,
            before_id: None,
        };
        let subscribed = self
            .store
            .list_webhooks(OPERATOR_TENANT, &filter, &one)
            .await?;
        if subscribed.items.is_empty() {
            self.unsubscribed.remember(event.event_type);
            return Ok(());
        }
        let new = NewEvent {
            event_type: event.event_type.to_owned(),
            data: event.data.clone(),
            channel: None,
            id: None,
            ordering_key: None,
        };
        self.publish(&TenantId::from(OPERATOR_TENANT), new, None)
            .await?;
        Ok(())
    }
}

/// A config webhook's validation error, named by its place in the file.
fn prefixed(e: Error, i: usize) -> Error {
    match e {
        Error::Invalid(mut v) => {
            v.field = format!("operational_webhooks[{i}].{}", v.field);
            Error::Invalid(v)
        }
        other => other,
    }
}
