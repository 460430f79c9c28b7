//! History of events, deliveries and attempts (PostgreSQL), and its one write
//! (see [`write`](super::write)).
//!
//! Owns the reads of [`EventStore`](crate::store::EventStore) — one event, a
//! tenant's events and a webhook's deliveries (keyset pages over an index), an
//! event's deliveries, a delivery's attempts. Row mappings are in `rows.rs`.
//! The reads by a client's id filter by tenant; those by an event's or a
//! delivery's id are made only after the engine read that parent for the
//! tenant.
//!
//! Reads only, apart from the history's one write in `write`; the queue's
//! statements are [`queue`](super::queue)'s.

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

use super::rows::{deliveries_of, delivery_from_row, event_from_row, EVENT_COLUMNS};
use super::write::{insert_event, insert_rows};
use super::{PgStore, Result};
use crate::model::{Attempt, Delivery, DeliveryStatus, Event};
use crate::page::{Page, PageRequest};
use crate::store::{DeliveryFilter, EventFilter, EventStore, WriteBatch, Written};

/// A stored attempt.
fn attempt_from_row(row: &PgRow) -> Result<Attempt> {
    let req: Option<Json<_>> = row.try_get("request_headers")?;
    let resp: Option<Json<_>> = row.try_get("response_headers")?;
    Ok(Attempt {
        id: row.try_get("id")?,
        delivery_id: row.try_get("delivery_id")?,
        attempt_number: row.try_get::<i32, _>("attempt_number")? as u32,
        started_at: row.try_get("started_at")?,
        duration_ms: row.try_get::<i32, _>("duration_ms")? as u64,
        http_status: row
            .try_get::<Option<i32>, _>("http_status")?
            .map(|s| s as u16),
        error_kind: row.try_get("error_kind")?,
        error_message: row.try_get("error_message")?,
        request_headers: req.map(|j| j.0).unwrap_or_default(),
        response_headers: resp.map(|j| j.0).unwrap_or_default(),
        response_body: row.try_get("response_body")?,
    })
}

#[async_trait]
impl EventStore for PgStore {
    /// See `write.rs`: one transaction per batch on the write connections.
    async fn write(&self, batch: &WriteBatch<'_>) -> Result<Written> {
        self.write_batch(batch).await
    }

    fn write_concurrency(&self) -> usize {
        super::COMMIT_TURNS
    }

    /// The event and its one delivery, leased to `owner`, in one
    /// transaction (the test send's path: it never waits for a group commit).
    async fn insert_leased(&self, event: &Event, delivery: &Delivery, owner: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_event(&mut tx, event).await?;
        insert_rows(&mut tx, &[], &[(delivery, Some(owner))], false, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Refused (`false`, nothing written) when the webhook generation moved
    /// on since the fan-out that made `deliveries`; the fifo lines involved
    /// are locked first and advanced in the same transaction, so a new line's
    /// first delivery is due at once and no other writer races it.
    async fn queue_deliveries(&self, deliveries: &[Delivery], generation: i64) -> Result<bool> {
        let queued: Vec<(&Delivery, Option<&str>)> = deliveries.iter().map(|d| (d, None)).collect();
        let lines: std::collections::BTreeSet<_> =
            deliveries.iter().filter_map(Delivery::fifo_key).collect();
        let lines: Vec<_> = lines.iter().collect();
        let mut tx = self.writes.begin().await?;
        super::fifo::lock(&mut tx, &lines).await?;
        if !insert_rows(&mut tx, &[], &queued, true, Some(generation)).await? {
            return Ok(false);
        }
        super::fifo::advance(&mut tx, &lines, crate::clock::now()).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// By id within the tenant: another tenant's event reads as absent.
    async fn event(&self, tenant_id: &str, id: &str) -> Result<Option<Event>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1 AND tenant_id = $2");
        sqlx::query(&sql)
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&self.pool)
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
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE tenant_id = $1 \
               AND ($2::text IS NULL OR id < $2) AND ($3::text IS NULL OR event_type = $3) \
               AND ($4::text IS NULL OR channel = $4) \
               AND ($5::timestamptz IS NULL OR created_at >= $5) \
               AND ($6::timestamptz IS NULL OR created_at < $6) \
             ORDER BY id DESC LIMIT $7"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant_id)
            .bind(&page.before_id)
            .bind(&filter.event_type)
            .bind(&filter.channel)
            .bind(filter.since)
            .bind(filter.until)
            .bind(page.fetch_limit())
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(event_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |e: &Event| &e.id))
    }

    /// In id order, i.e. in the order the fan-out made them.
    async fn deliveries_of_event(&self, event_id: &str) -> Result<Vec<Delivery>> {
        let mut conn = self.pool.acquire().await?;
        deliveries_of(&mut conn, event_id).await
    }

    /// By id within the tenant: another tenant's delivery reads as absent.
    async fn delivery(&self, tenant_id: &str, id: &str) -> Result<Option<Delivery>> {
        sqlx::query("SELECT * FROM deliveries WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(delivery_from_row)
            .transpose()
    }

    /// A webhook's history, newest first, keyset-paged.
    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>> {
        // Failed deliveries come from their own partial index (migration
        // 0007), which a plan can use only when the statement names the status
        // (`$3` stays bound, unused then, so both take the same arguments).
        let status = match filter.status {
            Some(DeliveryStatus::Failed) => "status = 'failed'",
            _ => "($3::text IS NULL OR status = $3)",
        };
        let sql = format!(
            "SELECT * FROM deliveries WHERE webhook_id = $1 AND tenant_id = $2 \
               AND {status} AND ($4::text IS NULL OR id < $4) \
               AND ($5::text IS NULL OR event_type = $5) \
               AND ($6::timestamptz IS NULL OR created_at >= $6) \
               AND ($7::timestamptz IS NULL OR created_at < $7) \
             ORDER BY id DESC LIMIT $8"
        );
        let rows = sqlx::query(&sql)
            .bind(webhook_id)
            .bind(tenant_id)
            .bind(filter.status.map(DeliveryStatus::as_str))
            .bind(&page.before_id)
            .bind(&filter.event_type)
            .bind(filter.since)
            .bind(filter.until)
            .bind(page.fetch_limit())
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(delivery_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |d: &Delivery| &d.id))
    }

    /// In attempt order (attempts are keyed by delivery and number).
    async fn attempts(&self, delivery_id: &str) -> Result<Vec<Attempt>> {
        sqlx::query("SELECT * FROM attempts WHERE delivery_id = $1 ORDER BY attempt_number")
            .bind(delivery_id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(attempt_from_row)
            .collect()
    }
}
