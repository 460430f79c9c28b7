//! Bounded history clean-up (SQLite).
//!
//! Owns the SQL of [`RetentionStore`](crate::store::RetentionStore): each
//! call deletes or expires at most one batch of rows, so the single writer is
//! never held for long and publishes keep flowing between batches. Deleting
//! an event deletes its deliveries and attempts (cascades); pending
//! deliveries are never trimmed.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ms, Result, SqliteStore};
use crate::store::RetentionStore;

#[async_trait]
impl RetentionStore for SqliteStore {
    /// The oldest events first, at most `batch` per call, so one purge never
    /// holds the writer (or a long transaction) for long; their deliveries
    /// and attempts go with them.
    async fn purge_events(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
        // Deliveries and attempts go with their events (ON DELETE CASCADE).
        let done = sqlx::query(
            "DELETE FROM events WHERE id IN \
               (SELECT id FROM events WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)",
        )
        .bind(ms(cutoff))
        .bind(i64::from(batch))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected())
    }

    /// The key is cleared, the event kept: after the idempotency window a
    /// repeated key is a new event, while history stays for `retention_days`.
    async fn expire_idempotency_keys(&self, cutoff: DateTime<Utc>, batch: u32) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE events SET idempotency_key = NULL WHERE id IN \
               (SELECT id FROM events WHERE idempotency_key IS NOT NULL AND created_at < ?1 LIMIT ?2)",
        )
        .bind(ms(cutoff))
        .bind(i64::from(batch))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected())
    }

    /// Finished deliveries beyond the newest `keep` of each webhook, at most
    /// `batch` per call; an unfinished delivery is never trimmed.
    async fn trim_deliveries(&self, keep: u32, batch: u32) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM deliveries WHERE id IN ( \
               SELECT id FROM ( \
                 SELECT id, status, \
                   ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS n \
                 FROM deliveries) \
               WHERE n > ?1 AND status IN ('delivered', 'failed') LIMIT ?2)",
        )
        .bind(i64::from(keep))
        .bind(i64::from(batch))
        .execute(&mut *self.writer.lock().await)
        .await?;
        Ok(done.rows_affected())
    }
}
