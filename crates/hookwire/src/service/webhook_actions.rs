//! What can be done to a webhook besides editing it: send it a test event,
//! rotate its signing secret.
//!
//! A test send goes through the same attempt code as any delivery, so what it
//! shows is what real deliveries do.

use chrono::TimeDelta;

use super::Hookwire;
use crate::delivery::{attempt, rate_limit, TestSend};
use crate::id::{EventId, TenantId, WebhookId};
use crate::model::{Delivery, Event, EventType};
use crate::secret::WebhookSecret;
use crate::store::Job;
use crate::{clock, Error};

/// How long a rotated-out secret keeps signing.
const ROTATION_GRACE_HOURS: i64 = 24;

impl Hookwire {
    /// Deliver a `webhook.test` event to one webhook now, in one attempt, and
    /// return the result (also kept in the history). Works on a disabled webhook,
    /// so an endpoint can be checked before it is re-enabled. A success closes
    /// the webhook's circuit if it was open.
    pub async fn test_webhook(
        &self,
        tenant_id: &TenantId,
        webhook_id: &WebhookId,
    ) -> Result<TestSend, Error> {
        let mut webhook = self.webhook(tenant_id, webhook_id).await?;
        let event = Event {
            id: EventId::generate(),
            tenant_id: tenant_id.clone(),
            event_type: EventType::TEST.to_owned(),
            channel: None,
            data: serde_json::json!({
                "message": "This is a test delivery from hookwire.",
                "webhook_id": webhook.id,
            })
            .to_string(),
            idempotency_key: None,
            created_at: clock::now(),
            traceparent: crate::trace_context::current(),
            ordering_key: None,
        };
        let mut delivery = Delivery::pending(&event, webhook.id.clone());
        delivery.next_attempt_at = None; // never claimable by a worker
        let owner: std::sync::Arc<str> = format!("test-{}", delivery.id).into();
        self.store.insert_leased(&event, &delivery, &owner).await?;
        webhook.is_active = true;
        let job = Job {
            delivery,
            event: std::sync::Arc::new(event),
            webhook: std::sync::Arc::new(webhook),
        };
        let ctx = attempt::Context {
            store: &self.store,
            sender: &self.sender,
            owner: &owner,
            recorder: &attempt::Unbatched(&self.store),
            auto_disable_after: self.options.auto_disable_after,
        };
        // A test counts against the webhook's rate limit like any request,
        // and waits for its send slot however far off.
        rate_limit::wait_turn(&self.store, &job.webhook, None).await?;
        let (attempt, _) = attempt::run(&ctx, &job, Some(1), &mut |_| {}).await?;
        // The receiver answers: an open circuit need not wait for its probe.
        if attempt.succeeded() {
            self.breaker.close(webhook_id, clock::now()).await?;
        }
        let delivery = self.delivery(tenant_id, &job.delivery.id).await?.delivery;
        Ok(TestSend { delivery, attempt })
    }

    /// Replace a webhook's secret (with `secret`, or a generated one). The old
    /// secret keeps signing alongside the new one for 24 h.
    pub async fn rotate_secret(
        &self,
        tenant_id: &TenantId,
        webhook_id: &WebhookId,
        secret: Option<&str>,
    ) -> Result<WebhookSecret, Error> {
        // The new secret is of the webhook's scheme: a rotation changes the
        // key, not how receivers verify.
        let scheme = self.webhook(tenant_id, webhook_id).await?.secret.scheme();
        let new = match secret {
            Some(s) => WebhookSecret::parse(s)?,
            None => WebhookSecret::generate_for(scheme),
        };
        if new.scheme() != scheme {
            return Err(crate::ValidationError::field(
                "secret",
                format!(
                    "this webhook signs with {}: rotate to a secret of that kind (or change \
                     signature_scheme with a PATCH)",
                    scheme.as_str()
                ),
            )
            .into());
        }
        let now = clock::now();
        let grace_ends = now + TimeDelta::hours(ROTATION_GRACE_HOURS);
        self.store
            .rotate_webhook_secret(tenant_id, webhook_id, &new, grace_ends, now)
            .await?
            .ok_or(Error::NotFound("webhook"))?;
        Ok(new)
    }
}
