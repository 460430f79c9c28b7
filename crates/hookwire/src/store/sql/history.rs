//! The history reads ([`HistoryStore`]), once for both backends. The SQL
//! text is each backend's ([`HistorySql`]); every list is newest first by id
//! (ids sort by creation time) and keyset-paged, every filter optional and
//! bound as NULL when absent, so one statement text serves every
//! combination.
//!
//! No SQL text and no driver type here.

use async_trait::async_trait;

use super::rows::{attempt_from_row, delivery_from_row, event_from_row};
use super::Dialect;
use crate::model::{Attempt, Delivery, DeliveryStatus, Event};
use crate::page::{Page, PageRequest};
use crate::store::{DeliveryFilter, EventFilter, HistoryStore, Result};

/// The history's statements in one backend's dialect; the comment of each
/// lists its placeholders in order.
pub(crate) trait HistorySql {
    /// `id, tenant_id`.
    const EVENT: &'static str;
    /// `tenant_id, before_id, event_type, channel, since, until, limit`.
    const EVENTS: &'static str;
    /// `event_id`, in id order: the order the fan-out made them.
    const DELIVERIES_OF_EVENT: &'static str;
    /// `id, tenant_id`.
    const DELIVERY: &'static str;
    /// `webhook_id, tenant_id, status, before_id, event_type, since, until,
    /// limit`.
    const DELIVERIES: &'static str;
    /// [`DELIVERIES`](Self::DELIVERIES) with the status fixed to `failed`,
    /// so the plan can use the failed deliveries' own partial index; it
    /// takes the same arguments (the status bound, unused).
    const FAILED_DELIVERIES: &'static str;
    /// `delivery_id`, in attempt order.
    const ATTEMPTS: &'static str;
}

#[async_trait]
impl<D: Dialect + HistorySql + 'static> HistoryStore for D {
    async fn event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>> {
        let row = self
            .read_one(D::EVENT, &[id.into(), tenant_id.into()])
            .await?;
        row.as_ref().map(event_from_row).transpose()
    }

    async fn list_events(
        &self,
        tenant_id: &str,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let args = [
            tenant_id.into(),
            page.before_id.as_deref().into(),
            filter.event_type.as_deref().into(),
            filter.channel.as_deref().into(),
            filter.since.into(),
            filter.until.into(),
            page.fetch_limit().into(),
        ];
        let rows = self.read(D::EVENTS, &args).await?;
        let items = rows.iter().map(event_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |e: &Event| &e.id))
    }

    async fn deliveries_of_event(&self, event_id: &str) -> Result<Vec<Delivery>> {
        let rows = self
            .read(D::DELIVERIES_OF_EVENT, &[event_id.into()])
            .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    async fn delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>> {
        let row = self
            .read_one(D::DELIVERY, &[id.into(), tenant_id.into()])
            .await?;
        row.as_ref().map(delivery_from_row).transpose()
    }

    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>> {
        let sql = match filter.status {
            Some(DeliveryStatus::Failed) => D::FAILED_DELIVERIES,
            _ => D::DELIVERIES,
        };
        let args = [
            webhook_id.into(),
            tenant_id.into(),
            filter.status.map(DeliveryStatus::as_str).into(),
            page.before_id.as_deref().into(),
            filter.event_type.as_deref().into(),
            filter.since.into(),
            filter.until.into(),
            page.fetch_limit().into(),
        ];
        let rows = self.read(sql, &args).await?;
        let items = rows.iter().map(delivery_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |d: &Delivery| &d.id))
    }

    async fn attempts(&self, delivery_id: &str) -> Result<Vec<Attempt>> {
        let rows = self.read(D::ATTEMPTS, &[delivery_id.into()]).await?;
        rows.iter().map(attempt_from_row).collect()
    }
}
