//! Webhook subscriptions (PostgreSQL).
//!
//! Owns the SQL of [`WebhookStore`](crate::store::WebhookStore): create,
//! read, list, update only the columns a change names, rotate a secret in one
//! statement, delete, the configured (global) webhooks, re-sealing secrets,
//! a webhook's health (failure run, disabling) and the lookup a publish fans
//! out from. Secrets are sealed on the way in and opened on the way out here,
//! so no other module handles a stored secret's sealed form. Every change to
//! the table moves the webhook generation on (a trigger in the migrations),
//! which every node's webhook cache relies on.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::Row;

use super::{Error, PgStore, Result};
use crate::model::{RetryPolicy, Webhook};
use crate::page::{Page, PageRequest};
use crate::secret::sealer::Sealer;
use crate::secret::WebhookSecret;
use crate::store::shared::{
    filter_from_text, filter_text, open_client_certificate, ordering_from_text,
    seal_client_certificate,
};
use crate::store::{
    reseal_secrets, webhook_sql, SealedColumns, SecretRows, WebhookChanges, WebhookFilter,
    WebhookStore,
};

/// A stored webhook, its secrets opened with `sealer`.
pub(super) fn webhook_from_row(row: &PgRow, sealer: &Sealer) -> Result<Webhook> {
    let open = |stored: String| -> Result<WebhookSecret> {
        let plain = sealer
            .open(&stored)
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        Ok(WebhookSecret::from_stored(plain))
    };
    let Json(headers) = row.try_get("headers")?;
    Ok(Webhook {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        url: row.try_get("url")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        events: row.try_get("events")?,
        channels: row.try_get("channels")?,
        is_active: row.try_get("is_active")?,
        timeout_seconds: row.try_get::<i32, _>("timeout_seconds")? as u32,
        retry: RetryPolicy {
            max_attempts: row.try_get::<i32, _>("retry_max_attempts")? as u32,
            initial_delay_ms: row.try_get::<i64, _>("retry_initial_delay_ms")? as u64,
            max_delay_ms: row.try_get::<i64, _>("retry_max_delay_ms")? as u64,
        },
        headers,
        rate_limit_per_second: row
            .try_get::<Option<i32>, _>("rate_limit_per_second")?
            .map(|r| r as u32),
        filter: filter_from_text(row.try_get("filter")?)?,
        ordering: ordering_from_text(row.try_get("ordering")?)?,
        secret: open(row.try_get("secret")?)?,
        previous_secret: row
            .try_get::<Option<String>, _>("previous_secret")?
            .map(open)
            .transpose()?,
        previous_secret_expires_at: row.try_get("previous_secret_expires_at")?,
        client_certificate: open_client_certificate(sealer, row.try_get("client_certificate")?)?,
        disabled_reason: row.try_get("disabled_reason")?,
        failing_since: row.try_get("failing_since")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A statement being bound.
type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Bind every webhook column as `$1…$24` in the order of [`webhook_sql::COLUMNS`].
fn bind_webhook<'q>(q: PgQuery<'q>, w: &'q Webhook, sealer: &Sealer) -> PgQuery<'q> {
    bind_editable(q, w, sealer)
        .bind(&w.disabled_reason)
        .bind(w.created_at)
        .bind(w.updated_at)
        .bind(w.failing_since)
        .bind(w.rate_limit_per_second.map(|r| r as i32))
        .bind(filter_text(&w.filter))
        .bind(w.ordering.as_str())
        .bind(seal_client_certificate(sealer, &w.client_certificate))
}

/// Bind what an update writes: the id, the tenant and the settings as
/// `$1…$16`, then `updated_at` as `$17`. `is_active` (`$8`) and the secrets
/// (`$14…$16`) are written only when changed (see `update_webhook`).
fn bind_update<'q>(q: PgQuery<'q>, w: &'q Webhook, sealer: &Sealer) -> PgQuery<'q> {
    bind_editable(q, w, sealer).bind(w.updated_at)
}

/// `$1…$16`: the columns of [`webhook_sql::COLUMNS`] up to the previous secret's expiry.
fn bind_editable<'q>(q: PgQuery<'q>, w: &'q Webhook, sealer: &Sealer) -> PgQuery<'q> {
    q.bind(&w.id)
        .bind(&w.tenant_id)
        .bind(&w.url)
        .bind(&w.name)
        .bind(&w.description)
        .bind(&w.events)
        .bind(&w.channels)
        .bind(w.is_active)
        .bind(w.timeout_seconds as i32)
        .bind(w.retry.max_attempts as i32)
        .bind(w.retry.initial_delay_ms as i64)
        .bind(w.retry.max_delay_ms as i64)
        .bind(Json(&w.headers))
        .bind(sealer.seal(w.secret.expose()))
        .bind(w.previous_secret.as_ref().map(|p| sealer.seal(p.expose())))
        .bind(w.previous_secret_expires_at)
}

#[async_trait]
impl WebhookStore for PgStore {
    async fn insert_webhook(&self, w: &Webhook) -> Result<()> {
        let sql = webhook_sql::insert(|n| format!("${n}"));
        bind_webhook(sqlx::query(&sql), w, &self.sealer)
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, "webhook"))?;
        Ok(())
    }

    /// By id within the tenant: another tenant's webhook reads as absent,
    /// the same answer as one that does not exist.
    async fn webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        sqlx::query("SELECT * FROM webhooks WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| webhook_from_row(r, &self.sealer))
            .transpose()
    }

    /// `COALESCE` keeps the start of a run already going; the answer is
    /// that start, which the caller compares with `auto_disable_after`.
    async fn webhook_failed(
        &self,
        webhook_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let since: Option<Option<DateTime<Utc>>> = sqlx::query_scalar(
            "UPDATE webhooks SET failing_since = COALESCE(failing_since, $2) WHERE id = $1 \
             RETURNING failing_since",
        )
        .bind(webhook_id)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        Ok(since.flatten())
    }

    /// Writes only when a run is going (the caller checks its own copy
    /// first, so a healthy webhook's success costs no write at all).
    async fn webhook_recovered(&self, webhook_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhooks SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
        )
        .bind(webhook_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Only an active webhook: a second disabling keeps the first reason.
    async fn disable_webhook(
        &self,
        webhook_id: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE webhooks SET is_active = false, disabled_reason = $2, updated_at = $3 \
             WHERE id = $1 AND is_active",
        )
        .bind(webhook_id)
        .bind(reason)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn matching_webhooks(
        &self,
        tenant_id: &str,
        patterns: &[String],
        channel: Option<&str>,
    ) -> Result<crate::store::Matched> {
        self.matching(tenant_id, patterns, channel).await
    }

    /// Newest first by id (ids sort by creation time), keyset-paged; with an
    /// event type, only the webhooks one of whose filters admits it.
    async fn list_webhooks(
        &self,
        tenant_id: &str,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>> {
        let patterns = filter.event.as_ref().map(|e| e.matching_filters());
        let rows = sqlx::query(
            "SELECT * FROM webhooks WHERE tenant_id = $1 \
               AND ($2::text IS NULL OR id < $2) \
               AND ($3::bool IS NULL OR is_active = $3) \
               AND ($4::text[] IS NULL OR events && $4) \
             ORDER BY id DESC LIMIT $5",
        )
        .bind(tenant_id)
        .bind(&page.before_id)
        .bind(filter.is_active)
        .bind(patterns)
        .bind(page.fetch_limit())
        .fetch_all(&self.pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| webhook_from_row(r, &self.sealer))
            .collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |w: &Webhook| &w.id))
    }

    /// One statement whose every column takes the caller's value only when
    /// [`WebhookChanges`] says it changed, so two concurrent updates of
    /// different fields both stick; health columns follow the row.
    async fn update_webhook(
        &self,
        w: &Webhook,
        changes: WebhookChanges,
    ) -> Result<Option<Webhook>> {
        // Every column follows the row, not the caller's copy, unless the
        // caller changed it (see the trait); the health columns follow the row.
        let sql = "UPDATE webhooks SET \
            url = CASE WHEN $20 THEN $3 ELSE url END, \
            name = CASE WHEN $21 THEN $4 ELSE name END, \
            description = CASE WHEN $22 THEN $5 ELSE description END, \
            events = CASE WHEN $23 THEN $6 ELSE events END, \
            channels = CASE WHEN $24 THEN $7 ELSE channels END, \
            timeout_seconds = CASE WHEN $25 THEN $9 ELSE timeout_seconds END, \
            retry_max_attempts = CASE WHEN $26 THEN $10 ELSE retry_max_attempts END, \
            retry_initial_delay_ms = CASE WHEN $26 THEN $11 ELSE retry_initial_delay_ms END, \
            retry_max_delay_ms = CASE WHEN $26 THEN $12 ELSE retry_max_delay_ms END, \
            headers = CASE WHEN $27 THEN $13 ELSE headers END, \
            rate_limit_per_second = CASE WHEN $29 THEN $28 ELSE rate_limit_per_second END, \
            filter = CASE WHEN $31 THEN $30 ELSE filter END, \
            ordering = CASE WHEN $33 THEN $32 ELSE ordering END, \
            client_certificate = CASE WHEN $35 THEN $34 ELSE client_certificate END, \
            updated_at = $17, \
            secret = CASE WHEN $19 THEN $14 ELSE secret END, \
            previous_secret = CASE WHEN $19 THEN $15 ELSE previous_secret END, \
            previous_secret_expires_at = \
                CASE WHEN $19 THEN $16 ELSE previous_secret_expires_at END, \
            is_active = CASE WHEN $18 THEN $8 ELSE is_active END, \
            disabled_reason = CASE WHEN $18 AND $8 THEN NULL ELSE disabled_reason END, \
            failing_since = CASE WHEN $18 AND $8 AND NOT is_active THEN NULL \
                            ELSE failing_since END \
            WHERE id = $1 AND tenant_id IS NOT DISTINCT FROM $2 \
            RETURNING *";
        bind_update(sqlx::query(sql), w, &self.sealer)
            .bind(changes.is_active)
            .bind(changes.secrets)
            .bind(changes.settings.url)
            .bind(changes.settings.name)
            .bind(changes.settings.description)
            .bind(changes.settings.events)
            .bind(changes.settings.channels)
            .bind(changes.settings.timeout)
            .bind(changes.settings.retry)
            .bind(changes.settings.headers)
            .bind(w.rate_limit_per_second.map(|r| r as i32))
            .bind(changes.settings.rate_limit)
            .bind(filter_text(&w.filter))
            .bind(changes.settings.filter)
            .bind(w.ordering.as_str())
            .bind(changes.settings.ordering)
            .bind(seal_client_certificate(&self.sealer, &w.client_certificate))
            .bind(changes.settings.client_certificate)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(|r| webhook_from_row(r, &self.sealer))
            .transpose()
    }

    /// The current secret becomes the previous one in the same statement, so
    /// two concurrent rotations never lose the secret receivers still hold.
    async fn rotate_webhook_secret(
        &self,
        tenant_id: &str,
        id: &str,
        secret: &WebhookSecret,
        previous_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<Webhook>> {
        sqlx::query(
            "UPDATE webhooks SET previous_secret = secret, secret = $3, \
               previous_secret_expires_at = $4, updated_at = $5 \
             WHERE id = $1 AND tenant_id = $2 RETURNING *",
        )
        .bind(id)
        .bind(tenant_id)
        .bind(self.sealer.seal(secret.expose()))
        .bind(previous_expires_at)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(|r| webhook_from_row(r, &self.sealer))
        .transpose()
    }

    /// Its deliveries, attempts and send slot go with it (foreign keys
    /// `ON DELETE CASCADE`).
    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1 AND tenant_id = $2")
            .bind(id)
            .bind(tenant_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// In one transaction: configured webhooks no longer in the file are
    /// deleted, the rest upserted, keeping their runtime state (see
    /// `webhook_sql::upsert_configured`).
    async fn replace_global_webhooks(&self, webhooks: &[Webhook]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<&str> = webhooks.iter().map(|w| w.id.as_str()).collect();
        sqlx::query("DELETE FROM webhooks WHERE tenant_id IS NULL AND NOT (id = ANY($1))")
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        let sql = webhook_sql::upsert_configured(|n| format!("${n}"));
        for w in webhooks {
            bind_webhook(sqlx::query(&sql), w, &self.sealer)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reseal_secrets(&self) -> Result<u64> {
        reseal_secrets(self, &self.sealer).await
    }
}

#[async_trait]
impl SecretRows for PgStore {
    /// A page of 500 by id, so a large table is re-sealed in bounded steps.
    async fn secrets_after(&self, after: &str) -> Result<Vec<SealedColumns>> {
        Ok(sqlx::query_as(
            "SELECT id, secret, previous_secret, client_certificate FROM webhooks \
             WHERE id > $1 ORDER BY id LIMIT 500",
        )
        .bind(after)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Guarded by the secret as read: a rotation that happened meanwhile wins,
    /// and the row is picked up again by the next reseal.
    async fn replace_secrets(&self, new: SealedColumns, old_secret: &str) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE webhooks SET secret = $2, previous_secret = $3, client_certificate = $4 \
             WHERE id = $1 AND secret = $5",
        )
        .bind(new.id)
        .bind(new.secret)
        .bind(new.previous_secret)
        .bind(new.client_certificate)
        .bind(old_secret)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}
