//! What happened to events: the reads behind the API's history — one event,
//! a tenant's events, an event's deliveries, a webhook's deliveries, a
//! delivery's attempts.
//!
//! Reads only, and written once for both backends (`sql/history.rs`); the
//! history's one write is [`EventStore::write`](super::EventStore::write).

use async_trait::async_trait;

use super::{DeliveryFilter, EventFilter, Result};
use crate::model::{Attempt, Delivery, Event};
use crate::page::{Page, PageRequest};

/// Events, deliveries and attempts as history. The reads by a client's id
/// filter by tenant; those by an event's or a delivery's id are made only
/// after the engine read that parent for the tenant.
#[async_trait]
pub trait HistoryStore: Send + Sync + 'static {
    /// One of a tenant's events.
    async fn event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>>;
    /// A tenant's events, newest first.
    async fn list_events(
        &self,
        tenant_id: &str,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<Event>>;
    /// An event's deliveries, oldest first.
    async fn deliveries_of_event(&self, event_id: &str) -> Result<Vec<Delivery>>;
    /// One of a tenant's deliveries.
    async fn delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>>;
    /// A webhook's deliveries, newest first.
    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>>;
    /// A delivery's attempts, first first.
    async fn attempts(&self, delivery_id: &str) -> Result<Vec<Attempt>>;
}
