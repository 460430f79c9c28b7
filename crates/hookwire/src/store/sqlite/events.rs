//! History of events, deliveries and attempts (SQLite), and its one write (see
//! [`write`](super::write)).
//!
//! Owns the reads of [`EventStore`](crate::store::EventStore) — one event, a
//! tenant's events and a webhook's deliveries (keyset pages over an index), an
//! event's deliveries, a delivery's attempts — and the row mappings both
//! drivers share (`event_from_row`, `delivery_from_row`). The reads by a
//! client's id filter by tenant; those by an event's or a delivery's id are
//! made only after the engine read that parent for the tenant.
//!
//! Reads only, apart from the history's one write in `write`; the queue's
//! statements are [`queue`](super::queue)'s.

use async_trait::async_trait;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::columns::Columns;
use super::rows::{generation_is, insert_deliveries, insert_events};
use super::{json, ms, opt_time, time, Error, Result, SqliteStore};
use crate::model::{Attempt, Delivery, DeliveryStatus, Event};
use crate::page::{Page, PageRequest};
use crate::store::{DeliveryFilter, EventFilter, EventStore, WriteBatch, Written};

/// A stored event, from either driver.
pub(super) fn event_from_row(row: &impl Columns) -> Result<Event> {
    Ok(Event {
        id: row.get("id")?,
        tenant_id: row.get("tenant_id")?,
        event_type: row.get("event_type")?,
        channel: row.get("channel")?,
        data: row.get("data")?,
        idempotency_key: row.get("idempotency_key")?,
        created_at: time(row.get("created_at")?)?,
        traceparent: row.get("traceparent")?,
        ordering_key: row.get("ordering_key")?,
    })
}

/// A stored delivery, from either driver.
pub(super) fn delivery_from_row(row: &impl Columns) -> Result<Delivery> {
    let status: String = row.get("status")?;
    Ok(Delivery {
        id: row.get("id")?,
        tenant_id: row.get("tenant_id")?,
        event_id: row.get("event_id")?,
        event_type: row.get("event_type")?,
        webhook_id: row.get("webhook_id")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("delivery status {status:?}")))?,
        attempt_count: row.get("attempt_count")?,
        next_attempt_at: opt_time(row.get("next_attempt_at")?)?,
        leased: row.get::<Option<String>>("lease_owner")?.is_some(),
        last_http_status: row.get("last_http_status")?,
        last_error: row.get("last_error")?,
        last_attempt_at: opt_time(row.get("last_attempt_at")?)?,
        created_at: time(row.get("created_at")?)?,
        completed_at: opt_time(row.get("completed_at")?)?,
        ordering_key: row.get("ordering_key")?,
    })
}

/// A stored attempt.
fn attempt_from_row(row: &SqliteRow) -> Result<Attempt> {
    let headers = |col: &str| -> Result<_> {
        let raw: Option<String> = row.try_get(col)?;
        raw.map(|r| json(&r, col))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(Attempt {
        id: row.try_get("id")?,
        delivery_id: row.try_get("delivery_id")?,
        attempt_number: row.try_get("attempt_number")?,
        started_at: time(row.try_get("started_at")?)?,
        duration_ms: row.try_get::<i64, _>("duration_ms")? as u64,
        http_status: row.try_get("http_status")?,
        error_kind: row.try_get("error_kind")?,
        error_message: row.try_get("error_message")?,
        request_headers: headers("request_headers")?,
        response_headers: headers("response_headers")?,
        response_body: row.try_get("response_body")?,
    })
}

#[async_trait]
impl EventStore for SqliteStore {
    /// The whole batch in one transaction on the writer's `Inline`
    /// connection: one fsync for every publish and result in it. A batch
    /// whose webhook generation moved on is not committed (see `write_in`).
    async fn write(&self, batch: &WriteBatch<'_>) -> Result<Written> {
        let mut writer = self.writer.lock().await;
        let tx = writer.inline().begin()?;
        let written = self.write_in(tx.conn(), batch)?;
        if let Written::Done { .. } = written {
            tx.commit()?;
        }
        Ok(written)
    }

    /// The event and its one delivery, leased to `owner`, in one
    /// transaction (the test send's path: it never waits for a group commit).
    async fn insert_leased(&self, event: &Event, delivery: &Delivery, owner: &str) -> Result<()> {
        let mut writer = self.writer.lock().await;
        let tx = writer.inline().begin()?;
        insert_events(tx.conn(), [event])?;
        insert_deliveries(tx.conn(), [(delivery, Some(owner))])?;
        tx.commit()
    }

    /// Refused (`false`, nothing written) when the webhook generation moved
    /// on since the fan-out that made `deliveries`; fifo lines are advanced
    /// in the same transaction, so a new line's first delivery is due at once.
    async fn queue_deliveries(&self, deliveries: &[Delivery], generation: i64) -> Result<bool> {
        let mut writer = self.writer.lock().await;
        let tx = writer.inline().begin()?;
        if !generation_is(tx.conn(), Some(generation))? {
            return Ok(false);
        }
        insert_deliveries(tx.conn(), deliveries.iter().map(|d| (d, None)))?;
        let lines: Vec<_> = deliveries.iter().filter_map(Delivery::fifo_key).collect();
        super::fifo::advance(tx.conn(), &lines, crate::clock::now())?;
        tx.commit()?;
        Ok(true)
    }

    /// By id within the tenant: another tenant's event reads as absent.
    async fn event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>> {
        sqlx::query("SELECT * FROM events WHERE id = ?1 AND tenant_id = ?2")
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(event_from_row)
            .transpose()
    }

    /// Newest first by id (ids sort by creation time), keyset-paged; every
    /// filter is optional and bound as NULL when absent, so one statement
    /// text serves every combination.
    async fn list_events(
        &self,
        tenant_id: &str,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> Result<Page<Event>> {
        let rows = sqlx::query(
            "SELECT * FROM events WHERE tenant_id = ?1 AND (?2 IS NULL OR id < ?2) \
               AND (?3 IS NULL OR event_type = ?3) AND (?4 IS NULL OR channel = ?4) \
               AND (?5 IS NULL OR created_at >= ?5) AND (?6 IS NULL OR created_at < ?6) \
             ORDER BY id DESC LIMIT ?7",
        )
        .bind(tenant_id)
        .bind(&page.before_id)
        .bind(&filter.event_type)
        .bind(&filter.channel)
        .bind(filter.since.map(ms))
        .bind(filter.until.map(ms))
        .bind(page.fetch_limit())
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(event_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |e: &Event| &e.id))
    }

    /// In id order, i.e. in the order the fan-out made them.
    async fn deliveries_of_event(&self, event_id: &str) -> Result<Vec<Delivery>> {
        sqlx::query("SELECT * FROM deliveries WHERE event_id = ?1 ORDER BY id")
            .bind(event_id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(delivery_from_row)
            .collect()
    }

    /// By id within the tenant: another tenant's delivery reads as absent.
    async fn delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>> {
        sqlx::query("SELECT * FROM deliveries WHERE id = ?1 AND tenant_id = ?2")
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(delivery_from_row)
            .transpose()
    }

    /// A webhook's history, newest first, keyset-paged; failed deliveries
    /// are read through their own partial index.
    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>> {
        // Failed deliveries come from their own index (migration 0005) rather
        // than from a walk through the webhook's history (`?3` stays bound,
        // unused then, so both statements take the same arguments).
        let (index, status) = match filter.status {
            Some(DeliveryStatus::Failed) => {
                ("INDEXED BY deliveries_webhook_failed", "status = 'failed'")
            }
            _ => ("", "(?3 IS NULL OR status = ?3)"),
        };
        let sql = format!(
            "SELECT * FROM deliveries {index} WHERE webhook_id = ?1 AND tenant_id = ?2 \
               AND {status} AND (?4 IS NULL OR id < ?4) \
               AND (?5 IS NULL OR event_type = ?5) AND (?6 IS NULL OR created_at >= ?6) \
               AND (?7 IS NULL OR created_at < ?7) \
             ORDER BY id DESC LIMIT ?8"
        );
        let rows = sqlx::query(&sql)
            .bind(webhook_id)
            .bind(tenant_id)
            .bind(filter.status.map(DeliveryStatus::as_str))
            .bind(&page.before_id)
            .bind(&filter.event_type)
            .bind(filter.since.map(ms))
            .bind(filter.until.map(ms))
            .bind(page.fetch_limit())
            .fetch_all(&self.reader)
            .await?;
        let items = rows.iter().map(delivery_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |d: &Delivery| &d.id))
    }

    /// In attempt order (attempts are keyed by delivery and number).
    async fn attempts(&self, delivery_id: &str) -> Result<Vec<Attempt>> {
        sqlx::query("SELECT * FROM attempts WHERE delivery_id = ?1 ORDER BY attempt_number")
            .bind(delivery_id)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(attempt_from_row)
            .collect()
    }
}
