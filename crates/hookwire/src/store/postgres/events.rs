//! Publishing and history (PostgreSQL).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};

use super::webhooks::webhook_from_row;
use super::{Error, PgStore, Result, WAKEUP_CHANNEL};
use crate::model::{Attempt, Delivery, DeliveryStatus, Event};
use crate::page::{Page, PageRequest};
use crate::store::{
    DeliveryFilter, DirectClaim, EventFilter, EventStore, FanOut, PublishRequest, Published,
};

/// `data` is `json` (kept byte-for-byte); read it back as text.
pub(super) const EVENT_COLUMNS: &str =
    "id, tenant_id, event_type, channel, data::text AS data, idempotency_key, created_at";

pub(super) fn event_from_row(row: &PgRow) -> Result<Event> {
    Ok(Event {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        event_type: row.try_get("event_type")?,
        channel: row.try_get("channel")?,
        data: row.try_get("data")?,
        idempotency_key: row.try_get("idempotency_key")?,
        created_at: row.try_get("created_at")?,
    })
}

pub(super) fn delivery_from_row(row: &PgRow) -> Result<Delivery> {
    let status: String = row.try_get("status")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        event_id: row.try_get("event_id")?,
        event_type: row.try_get("event_type")?,
        webhook_id: row.try_get("webhook_id")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| Error::Corrupt(format!("delivery status {status:?}")))?,
        attempt_count: row.try_get::<i32, _>("attempt_count")? as u32,
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_http_status: row
            .try_get::<Option<i32>, _>("last_http_status")?
            .map(|s| s as u16),
        last_error: row.try_get("last_error")?,
        last_attempt_at: row.try_get("last_attempt_at")?,
        created_at: row.try_get("created_at")?,
        completed_at: row.try_get("completed_at")?,
    })
}

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

async fn insert_event(conn: &mut PgConnection, e: &Event) -> Result<u64> {
    let done = sqlx::query(
        "INSERT INTO events (id, tenant_id, event_type, channel, data, idempotency_key, created_at) \
         VALUES ($1, $2, $3, $4, $5::json, $6, $7) \
         ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
    )
    .bind(&e.id)
    .bind(&e.tenant_id)
    .bind(&e.event_type)
    .bind(&e.channel)
    .bind(&e.data)
    .bind(&e.idempotency_key)
    .bind(e.created_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

async fn insert_deliveries(
    conn: &mut PgConnection,
    deliveries: &[Delivery],
    lease_owner: Option<&str>,
) -> Result<()> {
    let Some(first) = deliveries.first() else {
        return Ok(());
    };
    let ids: Vec<&str> = deliveries.iter().map(|d| d.id.as_str()).collect();
    let webhooks: Vec<&str> = deliveries.iter().map(|d| d.webhook_id.as_str()).collect();
    let due: Vec<Option<DateTime<Utc>>> = deliveries.iter().map(|d| d.next_attempt_at).collect();
    sqlx::query(
        "INSERT INTO deliveries (id, tenant_id, event_id, webhook_id, status, attempt_count, \
           next_attempt_at, lease_owner, lease_expires_at, created_at, event_type) \
         SELECT d.id, $4, $5, d.webhook_id, $6, 0, d.due, $7, \
                CASE WHEN $7::text IS NULL THEN NULL ELSE d.due END, $8, $9 \
         FROM UNNEST($1::text[], $2::text[], $3::timestamptz[]) AS d(id, webhook_id, due)",
    )
    .bind(ids)
    .bind(webhooks)
    .bind(due)
    .bind(&first.tenant_id)
    .bind(&first.event_id)
    .bind(first.status.as_str())
    .bind(lease_owner)
    .bind(first.created_at)
    .bind(&first.event_type)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn deliveries_of(conn: &mut PgConnection, event_id: &str) -> Result<Vec<Delivery>> {
    sqlx::query("SELECT * FROM deliveries WHERE event_id = $1 ORDER BY id")
        .bind(event_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(delivery_from_row)
        .collect()
}

impl PgStore {
    /// One publish inside the caller's transaction.
    async fn publish_in(
        &self,
        tx: &mut PgConnection,
        event: &Event,
        patterns: &[String],
        dedupe_since: DateTime<Utc>,
        direct: Option<&dyn DirectClaim>,
    ) -> Result<Published> {
        if insert_event(tx, event).await? == 0 {
            // The idempotency key is taken (a concurrent publish with the same key
            // waited for ours to commit on the unique index, or it is old).
            let sql = format!(
                "SELECT {EVENT_COLUMNS} FROM events \
                 WHERE tenant_id = $1 AND idempotency_key = $2 FOR UPDATE"
            );
            let earlier = sqlx::query(&sql)
                .bind(&event.tenant_id)
                .bind(&event.idempotency_key)
                .fetch_one(&mut *tx)
                .await?;
            let earlier = event_from_row(&earlier)?;
            if earlier.created_at > dedupe_since {
                let deliveries = deliveries_of(tx, &earlier.id).await?;
                return Ok(Published {
                    event: earlier,
                    deliveries,
                    duplicate: true,
                    direct: Vec::new(),
                });
            }
            sqlx::query("UPDATE events SET idempotency_key = NULL WHERE id = $1")
                .bind(&earlier.id)
                .execute(&mut *tx)
                .await?;
            insert_event(tx, event).await?;
        }
        let webhooks = sqlx::query(
            "SELECT * FROM webhooks \
             WHERE (tenant_id = $1 OR tenant_id IS NULL) AND is_active AND events && $2 \
               AND (cardinality(channels) = 0 OR ($3::text IS NOT NULL AND $3 = ANY(channels))) \
             ORDER BY id",
        )
        .bind(&event.tenant_id)
        .bind(patterns)
        .bind(&event.channel)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| webhook_from_row(r, &self.sealer))
        .collect::<Result<Vec<_>>>()?;
        let fan_out = FanOut::new(event, webhooks, direct);
        let (leased, queued): (Vec<_>, Vec<_>) = fan_out
            .deliveries
            .iter()
            .zip(&fan_out.leased)
            .partition(|(_, leased)| **leased);
        let leased: Vec<Delivery> = leased.into_iter().map(|(d, _)| d.clone()).collect();
        let queued: Vec<Delivery> = queued.into_iter().map(|(d, _)| d.clone()).collect();
        insert_deliveries(tx, &leased, direct.map(|c| c.owner())).await?;
        insert_deliveries(tx, &queued, None).await?;
        if !queued.is_empty() {
            // Delivered to listeners when the transaction commits. Leased
            // deliveries need nobody woken: this process starts them itself.
            sqlx::query("SELECT pg_notify($1, '')")
                .bind(WAKEUP_CHANNEL)
                .execute(&mut *tx)
                .await?;
        }
        Ok(Published {
            event: event.clone(),
            deliveries: fan_out.deliveries,
            duplicate: false,
            direct: fan_out.jobs,
        })
    }
}

#[async_trait]
impl EventStore for PgStore {
    async fn publish(
        &self,
        event: &Event,
        patterns: &[String],
        dedupe_since: DateTime<Utc>,
        direct: Option<&dyn DirectClaim>,
    ) -> Result<Published> {
        let mut tx = self.pool.begin().await?;
        let published = self
            .publish_in(&mut tx, event, patterns, dedupe_since, direct)
            .await?;
        tx.commit().await?;
        Ok(published)
    }

    async fn publish_batch(&self, batch: &[PublishRequest<'_>]) -> Result<Vec<Published>> {
        // One transaction, one WAL flush for the whole batch.
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::with_capacity(batch.len());
        for r in batch {
            out.push(
                self.publish_in(&mut tx, r.event, r.patterns, r.dedupe_since, r.direct)
                    .await?,
            );
        }
        tx.commit().await?;
        Ok(out)
    }

    fn publish_concurrency(&self) -> usize {
        // A few batches in flight keep the pool's connections busy while one
        // batch waits for its WAL flush.
        4
    }

    async fn insert_direct(&self, event: &Event, delivery: &Delivery, owner: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        insert_event(&mut tx, event).await?;
        insert_deliveries(&mut tx, std::slice::from_ref(delivery), Some(owner)).await?;
        tx.commit().await?;
        Ok(())
    }

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

    async fn deliveries_of_event(&self, event_id: &str) -> Result<Vec<Delivery>> {
        let mut conn = self.pool.acquire().await?;
        deliveries_of(&mut conn, event_id).await
    }

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

    async fn list_deliveries(
        &self,
        tenant_id: &str,
        webhook_id: &str,
        filter: &DeliveryFilter,
        page: &PageRequest,
    ) -> Result<Page<Delivery>> {
        let rows = sqlx::query(
            "SELECT * FROM deliveries WHERE webhook_id = $1 AND tenant_id = $2 \
               AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR id < $4) \
               AND ($5::text IS NULL OR event_type = $5) \
               AND ($6::timestamptz IS NULL OR created_at >= $6) \
               AND ($7::timestamptz IS NULL OR created_at < $7) \
             ORDER BY id DESC LIMIT $8",
        )
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
