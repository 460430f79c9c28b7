//! Delivery history and the operations on it: retry one, retry many (bulk,
//! paced), recover a webhook's failed ones.
//!
//! It checks and records; the requeue's pacing runs in the worker
//! ([`crate::pipeline`]), never in the caller's request.

use chrono::{DateTime, Utc};

use super::Hookwire;
use crate::id::{DeliveryId, TenantId, WebhookId};
use crate::model::{Attempt, Delivery, DeliveryStatus};
use crate::page::{Page, PageRequest};
use crate::store::{DeliveryFilter, RequeueFilter};
use crate::{clock, Error};

/// A delivery with its attempts.
#[derive(Debug, Clone)]
pub struct DeliveryDetail {
    /// The delivery.
    pub delivery: Delivery,
    /// Every attempt, first first.
    pub attempts: Vec<Attempt>,
}

impl Hookwire {
    /// One of the tenant's deliveries with its attempts.
    pub async fn delivery(
        &self,
        tenant_id: &TenantId,
        id: &DeliveryId,
    ) -> Result<DeliveryDetail, Error> {
        let delivery = self
            .store
            .delivery(tenant_id, id)
            .await?
            .ok_or(Error::NotFound("delivery"))?;
        let attempts = self.store.attempts(&delivery.id).await?;
        // An attempt recorded between the two reads (its delivery's new state
        // commits with it) would show ahead of the status: read that again.
        let delivery = if attempts
            .iter()
            .any(|a| a.attempt_number > delivery.attempt_count)
        {
            self.store
                .delivery(tenant_id, id)
                .await?
                .ok_or(Error::NotFound("delivery"))?
        } else {
            delivery
        };
        Ok(DeliveryDetail { delivery, attempts })
    }

    /// A webhook's deliveries, newest first.
    pub async fn list_deliveries(
        &self,
        tenant_id: &TenantId,
        webhook_id: &WebhookId,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>, Error> {
        self.webhook(tenant_id, webhook_id).await?;
        Ok(self
            .store
            .list_deliveries(tenant_id, webhook_id, filter, page)
            .await?)
    }

    /// Attempt a delivery once more, now (whatever its status: a delivered one is
    /// redelivered). A conflict while an attempt is in progress.
    pub async fn retry_delivery(
        &self,
        tenant_id: &TenantId,
        id: &DeliveryId,
    ) -> Result<Delivery, Error> {
        if self
            .store
            .requeue_delivery(tenant_id, id, clock::now())
            .await?
        {
            self.wake.notify_one();
            return Ok(self.delivery(tenant_id, id).await?.delivery);
        }
        match self.store.delivery(tenant_id, id).await? {
            Some(_) => Err(Error::Conflict(
                "an attempt of this delivery is in progress".into(),
            )),
            None => Err(Error::NotFound("delivery")),
        }
    }

    /// Retry the tenant's final deliveries `filter` picks (failed by
    /// default; delivered ones to send them again) that exist now, oldest
    /// first, spread out at the engine's `bulk_retry_per_second`; returns
    /// how many. Those being attempted right now are left alone. The retry
    /// is stored and carried on by the workers of every node, each delivery
    /// requeued shortly before its turn (see `pipeline/worker/bulk_retry.rs`):
    /// the first chunk here, before this returns.
    pub async fn retry_deliveries(
        &self,
        tenant_id: &TenantId,
        filter: &RequeueFilter,
    ) -> Result<u64, Error> {
        self.check_requeue(tenant_id, filter).await?;
        let n = self
            .store
            .start_bulk_retry(
                tenant_id,
                filter,
                clock::now(),
                self.options.bulk_retry_per_second,
            )
            .await?;
        let ahead = crate::pipeline::worker::BULK_RETRY_AHEAD;
        if n > 0
            && self
                .store
                .continue_bulk_retry(clock::now(), ahead)
                .await?
                .is_some_and(|requeued| requeued > 0)
        {
            self.wake.notify_one();
        }
        Ok(n)
    }

    /// How many deliveries [`Hookwire::retry_deliveries`] with `filter` would
    /// queue again now: the preview before a bulk retry.
    pub async fn count_retryable(
        &self,
        tenant_id: &TenantId,
        filter: &RequeueFilter,
    ) -> Result<u64, Error> {
        self.check_requeue(tenant_id, filter).await?;
        Ok(self
            .store
            .count_requeue_matching(tenant_id, filter, clock::now())
            .await?)
    }

    /// The rules of a bulk retry's filter.
    async fn check_requeue(
        &self,
        tenant_id: &TenantId,
        filter: &RequeueFilter,
    ) -> Result<(), Error> {
        if !matches!(
            filter.status,
            DeliveryStatus::Failed | DeliveryStatus::Delivered
        ) {
            return Err(crate::ValidationError::field(
                "status",
                "must be failed or delivered (pending and retrying deliveries are queued already)",
            )
            .into());
        }
        if filter.until.is_some_and(|until| until <= filter.since) {
            return Err(crate::ValidationError::field("until", "must be after since").into());
        }
        if let Some(webhook_id) = &filter.webhook_id {
            self.webhook(tenant_id, &WebhookId::from(webhook_id.as_str()))
                .await?;
        }
        Ok(())
    }

    /// Give every failed delivery of a webhook created since `since` one more
    /// attempt; returns how many were requeued.
    pub async fn recover(
        &self,
        tenant_id: &TenantId,
        webhook_id: &WebhookId,
        since: DateTime<Utc>,
    ) -> Result<u64, Error> {
        self.webhook(tenant_id, webhook_id).await?;
        let n = self
            .store
            .requeue_failed(tenant_id, webhook_id, since, clock::now())
            .await?;
        if n > 0 {
            self.wake.notify_one();
        }
        Ok(n)
    }
}
