//! The embedded SQLite backend (the default).
//!
//! SQLite allows one writer at a time. Rather than let connections fight over the
//! write lock (and see `SQLITE_BUSY` on lock upgrades), writes go through a pool of
//! exactly one connection, so they queue in-process; reads use a separate pool and,
//! thanks to WAL mode, never wait for writers. `synchronous = FULL` makes every
//! commit durable before we answer (an accepted event survives power loss, not
//! only a process crash).

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;

use super::{Error, Result, Store, WebhookFilter};
use crate::model::{ApiKey, EventType, RetryPolicy, Tenant, Webhook};
use crate::page::{Page, PageRequest};
use crate::secret::{TokenHash, WebhookSecret};

/// A SQLite database file (or in-memory database).
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStore {
    /// Open (creating if missing) and migrate.
    pub async fn open(url: &str) -> Result<Self> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts.clone())
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
        // An in-memory database exists per connection: share the single one.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let reader = if in_memory {
            writer.clone()
        } else {
            SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts)
                .await?
        };
        Ok(Self { writer, reader })
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| Error::Corrupt(format!("time {ms}")))
}

fn json<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| Error::Corrupt(format!("{what}: {e}")))
}

fn tenant_from_row(row: &SqliteRow) -> Result<Tenant> {
    Ok(Tenant {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn api_key_from_row(row: &SqliteRow) -> Result<ApiKey> {
    Ok(ApiKey {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        lookup_prefix: row.try_get("lookup_prefix")?,
        hash: TokenHash(row.try_get("key_hash")?),
        created_at: time(row.try_get("created_at")?)?,
    })
}

fn webhook_from_row(row: &SqliteRow) -> Result<Webhook> {
    let opt_time = |col: &str| -> Result<Option<DateTime<Utc>>> {
        row.try_get::<Option<i64>, _>(col)?.map(time).transpose()
    };
    Ok(Webhook {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        url: row.try_get("url")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        events: json(row.try_get("events")?, "webhooks.events")?,
        channels: json(row.try_get("channels")?, "webhooks.channels")?,
        is_active: row.try_get("is_active")?,
        timeout_seconds: row.try_get("timeout_seconds")?,
        retry: RetryPolicy {
            max_attempts: row.try_get("retry_max_attempts")?,
            initial_delay_ms: row.try_get::<i64, _>("retry_initial_delay_ms")? as u64,
            max_delay_ms: row.try_get::<i64, _>("retry_max_delay_ms")? as u64,
        },
        headers: json(row.try_get("headers")?, "webhooks.headers")?,
        secret: WebhookSecret::from_stored(row.try_get("secret")?),
        previous_secret: row
            .try_get::<Option<String>, _>("previous_secret")?
            .map(WebhookSecret::from_stored),
        previous_secret_expires_at: opt_time("previous_secret_expires_at")?,
        disabled_reason: row.try_get("disabled_reason")?,
        created_at: time(row.try_get("created_at")?)?,
        updated_at: time(row.try_get("updated_at")?)?,
    })
}

/// Bind every webhook column as `?1…?19` in the order of [`WEBHOOK_COLUMNS`].
fn bind_webhook<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    w: &'q Webhook,
) -> Result<sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>> {
    Ok(q.bind(&w.id)
        .bind(&w.tenant_id)
        .bind(&w.url)
        .bind(&w.name)
        .bind(&w.description)
        .bind(to_json(&w.events)?)
        .bind(to_json(&w.channels)?)
        .bind(w.is_active)
        .bind(w.timeout_seconds)
        .bind(w.retry.max_attempts)
        .bind(w.retry.initial_delay_ms as i64)
        .bind(w.retry.max_delay_ms as i64)
        .bind(to_json(&w.headers)?)
        .bind(w.secret.expose())
        .bind(w.previous_secret.as_ref().map(WebhookSecret::expose))
        .bind(w.previous_secret_expires_at.map(ms))
        .bind(&w.disabled_reason)
        .bind(ms(w.created_at))
        .bind(ms(w.updated_at)))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Corrupt(e.to_string()))
}

const WEBHOOK_COLUMNS: &str = "id, tenant_id, url, name, description, events, channels, \
    is_active, timeout_seconds, retry_max_attempts, retry_initial_delay_ms, \
    retry_max_delay_ms, headers, secret, previous_secret, previous_secret_expires_at, \
    disabled_reason, created_at, updated_at";

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?1")
                .bind(key)
                .fetch_optional(&self.reader)
                .await?,
        )
    }

    async fn insert_setting_if_absent(&self, key: &str, value: &str) -> Result<bool> {
        let done =
            sqlx::query("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
                .bind(key)
                .bind(value)
                .execute(&self.writer)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn create_tenant(&self, tenant: &Tenant, key: &ApiKey) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?1, ?2, ?3)")
            .bind(&tenant.id)
            .bind(&tenant.name)
            .bind(ms(tenant.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| Error::from_sqlx(e, "tenant"))?;
        insert_key(&mut *tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn tenant(&self, id: &str) -> Result<Option<Tenant>> {
        sqlx::query("SELECT * FROM tenants WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(tenant_from_row)
            .transpose()
    }

    async fn list_tenants(&self, page: &PageRequest) -> Result<Page<Tenant>> {
        let rows = sqlx::query(
            "SELECT * FROM tenants WHERE (?1 IS NULL OR id < ?1) ORDER BY id DESC LIMIT ?2",
        )
        .bind(&page.before_id)
        .bind(page.fetch_limit())
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(tenant_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |t: &Tenant| &t.id))
    }

    async fn delete_tenant(&self, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM tenants WHERE id = ?1")
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_api_key(&self, key: &ApiKey) -> Result<()> {
        insert_key(&self.writer, key).await
    }

    async fn api_keys_by_prefix(&self, prefix: &str) -> Result<Vec<ApiKey>> {
        sqlx::query("SELECT * FROM api_keys WHERE lookup_prefix = ?1")
            .bind(prefix)
            .fetch_all(&self.reader)
            .await?
            .iter()
            .map(api_key_from_row)
            .collect()
    }

    async fn event_types(&self) -> Result<Vec<EventType>> {
        let rows = sqlx::query("SELECT name, description FROM event_types ORDER BY name")
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(EventType {
                    name: r.try_get("name")?,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }

    async fn insert_event_type(&self, et: &EventType) -> Result<()> {
        sqlx::query("INSERT INTO event_types (name, description, created_at) VALUES (?1, ?2, ?3)")
            .bind(&et.name)
            .bind(&et.description)
            .bind(ms(crate::clock::now()))
            .execute(&self.writer)
            .await
            .map_err(|e| Error::from_sqlx(e, &format!("event type {:?}", et.name)))?;
        Ok(())
    }

    async fn upsert_event_type(&self, et: &EventType) -> Result<()> {
        sqlx::query(
            "INSERT INTO event_types (name, description, created_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (name) DO UPDATE SET description = excluded.description",
        )
        .bind(&et.name)
        .bind(&et.description)
        .bind(ms(crate::clock::now()))
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn insert_webhook(&self, w: &Webhook) -> Result<()> {
        let sql = format!(
            "INSERT INTO webhooks ({WEBHOOK_COLUMNS}) VALUES \
             (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
        );
        bind_webhook(sqlx::query(&sql), w)?
            .execute(&self.writer)
            .await
            .map_err(|e| Error::from_sqlx(e, "webhook"))?;
        Ok(())
    }

    async fn webhook(&self, tenant_id: &str, id: &str) -> Result<Option<Webhook>> {
        sqlx::query("SELECT * FROM webhooks WHERE id = ?1 AND tenant_id = ?2")
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&self.reader)
            .await?
            .as_ref()
            .map(webhook_from_row)
            .transpose()
    }

    async fn list_webhooks(
        &self,
        tenant_id: &str,
        filter: &WebhookFilter,
        page: &PageRequest,
    ) -> Result<Page<Webhook>> {
        let patterns = filter
            .event
            .as_ref()
            .map(|e| serde_json::to_string(&e.matching_filters()))
            .transpose()
            .map_err(|e| Error::Corrupt(e.to_string()))?;
        let rows = sqlx::query(
            "SELECT * FROM webhooks WHERE tenant_id = ?1 \
               AND (?2 IS NULL OR id < ?2) \
               AND (?3 IS NULL OR is_active = ?3) \
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM json_each(webhooks.events) e \
                    WHERE e.value IN (SELECT value FROM json_each(?4)))) \
             ORDER BY id DESC LIMIT ?5",
        )
        .bind(tenant_id)
        .bind(&page.before_id)
        .bind(filter.is_active)
        .bind(patterns)
        .bind(page.fetch_limit())
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(webhook_from_row).collect::<Result<_>>()?;
        Ok(Page::from_rows(items, page, |w: &Webhook| &w.id))
    }

    async fn update_webhook(&self, w: &Webhook) -> Result<bool> {
        let sql = "UPDATE webhooks SET url = ?3, name = ?4, description = ?5, events = ?6, \
            channels = ?7, is_active = ?8, timeout_seconds = ?9, retry_max_attempts = ?10, \
            retry_initial_delay_ms = ?11, retry_max_delay_ms = ?12, headers = ?13, secret = ?14, \
            previous_secret = ?15, previous_secret_expires_at = ?16, disabled_reason = ?17, \
            created_at = ?18, updated_at = ?19 WHERE id = ?1 AND tenant_id IS ?2";
        let done = bind_webhook(sqlx::query(sql), w)?
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_webhook(&self, tenant_id: &str, id: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = ?1 AND tenant_id = ?2")
            .bind(id)
            .bind(tenant_id)
            .execute(&self.writer)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

async fn insert_key<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    key: &ApiKey,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, tenant_id, lookup_prefix, key_hash, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&key.id)
    .bind(&key.tenant_id)
    .bind(&key.lookup_prefix)
    .bind(&key.hash.0)
    .bind(ms(key.created_at))
    .execute(exec)
    .await
    .map_err(|e| Error::from_sqlx(e, "api key"))?;
    Ok(())
}
