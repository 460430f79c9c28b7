//! Publishing events and reading them back.
//!
//! It validates and hands the publish to the pipeline; it does not write rows
//! itself or send anything.

use chrono::TimeDelta;

use super::Hookwire;
use crate::id::{EventId, TenantId, WebhookId};
use crate::model::{
    Delivery, Event, EventTypeName, NewEvent, IDEMPOTENCY_WINDOW_HOURS, OPERATOR_TENANT,
};
use crate::page::{Page, PageRequest};
use crate::pipeline::handoff::Reservation;
use crate::pipeline::{FilterBody, Publish};
use crate::store::{EventFilter, Published};
use crate::{clock, Error};

/// An event with its deliveries.
#[derive(Debug, Clone)]
pub struct EventDetail {
    /// The event.
    pub event: Event,
    /// One per webhook it was fanned out to.
    pub deliveries: Vec<Delivery>,
}

/// Whether a stored event is what `(type, channel, data)` would have stored. The
/// data are compared as JSON values, so key order and whitespace do not count.
fn same_request(
    stored: &Event,
    (event_type, channel, data): &(String, Option<String>, String),
) -> bool {
    let json = |text: &str| serde_json::from_str::<serde_json::Value>(text).ok();
    stored.event_type == *event_type
        && stored.channel == *channel
        && json(&stored.data) == json(data)
}

impl Hookwire {
    /// Publish an event for `tenant_id`: validate it, store it with one delivery
    /// per matching webhook in one transaction (shared with the publishes that
    /// arrive meanwhile: group commit), and start or queue its deliveries. Returns
    /// without waiting for any delivery. A repeated idempotency key (the header's,
    /// or the body's `id`) within 24 h returns the first event and stores nothing;
    /// the same key with a different type, channel or data is
    /// [`Error::IdempotencyKeyReused`].
    pub async fn publish(
        &self,
        tenant_id: &TenantId,
        new: NewEvent,
        idempotency_key: Option<&str>,
    ) -> Result<Published, Error> {
        let catalog = self.catalog_names(&[new.event_type.as_str()]).await?;
        // hookwire.* types are the operator tenant's alone (operational events).
        let known = |n: &str| {
            catalog.contains(n)
                && (tenant_id == OPERATOR_TENANT || !super::catalog::is_operational(n))
        };
        let mut event = Event::from_new(tenant_id, new, idempotency_key, known)?;
        event.traceparent = crate::trace_context::current();
        // Kept to tell a replay from a reused key; only keyed publishes pay for it.
        let request = event.idempotency_key.is_some().then(|| {
            (
                event.event_type.clone(),
                event.channel.clone(),
                event.data.clone(),
            )
        });
        let patterns = EventTypeName::parse(&event.event_type, "type")?.matching_filters();
        let dedupe_since = clock::now() - TimeDelta::hours(IDEMPOTENCY_WINDOW_HOURS);
        let publish = Publish::new(
            event,
            patterns,
            dedupe_since,
            self.local_worker.get().as_ref().map(Reservation::new),
        );
        let published = self.group_commit.publish(publish).await.map_err(|e| {
            // The tenant was deleted after the caller authenticated (another
            // node's key cache may lag by up to its TTL).
            if e.is_missing_parent() {
                Error::NotFound("tenant")
            } else {
                e.into()
            }
        })?;
        if let Some(request) = request.filter(|_| published.duplicate) {
            if !same_request(&published.event, &request) {
                return Err(Error::IdempotencyKeyReused);
            }
        }
        Ok(published)
    }

    /// Deliver a stored event again, now: one new delivery to every active
    /// webhook its type, channel and payload filter match today (or only to
    /// `webhook_id`),
    /// signed with today's secrets. The receivers see the same `webhook-id`
    /// (the event's id), so they can tell a replay from a new event. A named
    /// webhook that is disabled or no longer matches is refused (422 on
    /// `webhook_id`), an unknown one is not found.
    pub async fn replay(
        &self,
        tenant_id: &TenantId,
        event_id: &EventId,
        webhook_id: Option<&str>,
    ) -> Result<Vec<Delivery>, Error> {
        let event = self.event_record(tenant_id, event_id).await?;
        let patterns = EventTypeName::parse(&event.event_type, "type")?.matching_filters();
        loop {
            let matched = self
                .store
                .matching_webhooks(tenant_id, &patterns, event.channel.as_deref())
                .await?;
            let mut body = FilterBody::default();
            let webhooks: Vec<_> = matched
                .webhooks
                .iter()
                .filter(|w| webhook_id.is_none_or(|id| w.id == id))
                .filter(|w| {
                    w.filter
                        .as_ref()
                        .is_none_or(|f| body.passes(f, &event, &w.id))
                })
                .collect();
            if let (Some(id), true) = (webhook_id, webhooks.is_empty()) {
                self.webhook(tenant_id, &WebhookId::from(id)).await?;
                return Err(crate::ValidationError::field(
                    "webhook_id",
                    "this webhook is disabled, or its events, channels or filter do not match this event",
                )
                .into());
            }
            let now = clock::now();
            let deliveries: Vec<Delivery> = webhooks
                .iter()
                .map(|w| {
                    let mut d = Delivery::for_webhook(&event, w);
                    d.created_at = now;
                    if d.ordering_key.is_none() {
                        d.next_attempt_at = Some(now);
                    }
                    d
                })
                .collect();
            // A webhook changed since the lookup: look again.
            if self
                .store
                .queue_deliveries(&deliveries, matched.generation)
                .await?
            {
                if !deliveries.is_empty() {
                    self.wake.notify_one();
                }
                return Ok(deliveries);
            }
        }
    }

    /// One of the tenant's events, without its deliveries.
    pub async fn event_record(&self, tenant_id: &TenantId, id: &EventId) -> Result<Event, Error> {
        self.store
            .event(tenant_id, id)
            .await?
            .ok_or(Error::NotFound("event"))
    }

    /// One of the tenant's events with its deliveries.
    pub async fn event(&self, tenant_id: &TenantId, id: &EventId) -> Result<EventDetail, Error> {
        let event = self.event_record(tenant_id, id).await?;
        let deliveries = self.store.deliveries_of_event(&event.id).await?;
        Ok(EventDetail { event, deliveries })
    }

    /// The tenant's events, newest first.
    pub async fn list_events(
        &self,
        tenant_id: &TenantId,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<Event>, Error> {
        Ok(self.store.list_events(tenant_id, filter, page).await?)
    }
}
