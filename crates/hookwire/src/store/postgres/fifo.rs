//! The lines of fifo webhooks (PostgreSQL): which delivery of a line is due,
//! over many nodes.
//!
//! A line is a fifo webhook's unfinished deliveries of one ordering key, in
//! publish order (`ordering_seq`). Exactly its first delivery has a
//! `next_attempt_at` (due, leased, or waiting for a retry); the others have
//! none, so no claim on any node sees them. Every transaction that adds to a
//! line or finishes its first delivery first takes the line's advisory lock
//! (transaction-scoped, in one fixed order, so two writes never wait on each
//! other in a circle): the next writer then reads the line as committed, its
//! `ordering_seq` comes after every earlier one, and two writers can never
//! both make a delivery of one line due.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{PgStore, Result, WAKEUP_CHANNEL};
use crate::id::WebhookId;
use crate::model::FifoKey;

/// The advisory-lock class of fifo lines (the first of the two-key form, so
/// no other user of single-key advisory locks can collide with a line).
const LOCK_CLASS: i32 = 0x6669_666f; // "fifo"

/// The lines as two arrays (webhook ids, ordering keys), as `UNNEST` takes them.
fn columns<'k>(lines: impl IntoIterator<Item = &'k FifoKey>) -> (Vec<&'k str>, Vec<&'k str>) {
    lines
        .into_iter()
        .map(|l| (l.webhook_id.as_str(), l.ordering_key.as_str()))
        .unzip()
}

/// Take the locks of `lines` for the rest of the caller's transaction, in
/// the order of their hashes.
pub(super) async fn lock(conn: &mut PgConnection, lines: &[&FifoKey]) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let (webhooks, keys) = columns(lines.iter().copied());
    sqlx::query(
        "SELECT pg_advisory_xact_lock($3, h) FROM ( \
           SELECT DISTINCT hashtext(w || '/' || k) AS h \
           FROM UNNEST($1::text[], $2::text[]) AS l(w, k) ORDER BY h) AS sorted",
    )
    .bind(webhooks)
    .bind(keys)
    .bind(LOCK_CLASS)
    .execute(conn)
    .await?;
    Ok(())
}

/// Make the first delivery of each of `lines` due at `now`, unless one of the
/// line's deliveries is due, leased or scheduled already, and wake every
/// node's worker if any was (at commit). The caller holds the lines' locks.
pub(super) async fn advance(
    conn: &mut PgConnection,
    lines: &[&FifoKey],
    now: DateTime<Utc>,
) -> Result<u64> {
    if lines.is_empty() {
        return Ok(0);
    }
    let (webhooks, keys) = columns(lines.iter().copied());
    let made_due: i64 = sqlx::query_scalar(
        "WITH firsts AS ( \
           SELECT (SELECT d.id FROM deliveries d \
                   WHERE d.webhook_id = l.w AND d.ordering_key = l.k \
                     AND d.status IN ('pending', 'retrying') \
                   ORDER BY d.ordering_seq LIMIT 1) AS id \
           FROM UNNEST($1::text[], $2::text[]) AS l(w, k) \
           WHERE NOT EXISTS (SELECT 1 FROM deliveries d \
                             WHERE d.webhook_id = l.w AND d.ordering_key = l.k \
                               AND d.status IN ('pending', 'retrying') \
                               AND d.next_attempt_at IS NOT NULL)), \
         made_due AS ( \
           UPDATE deliveries SET next_attempt_at = $3 \
           WHERE id IN (SELECT id FROM firsts) AND next_attempt_at IS NULL RETURNING 1), \
         wake AS (SELECT pg_notify($4, '') WHERE EXISTS (SELECT 1 FROM made_due)) \
         SELECT (SELECT count(*) FROM made_due) + 0 * (SELECT count(*) FROM wake)",
    )
    .bind(webhooks)
    .bind(keys)
    .bind(now)
    .bind(WAKEUP_CHANNEL)
    .fetch_one(conn)
    .await?;
    Ok(made_due.max(0) as u64)
}

impl PgStore {
    /// See [`QueueStore::resume_fifo_lines`](crate::store::QueueStore::resume_fifo_lines):
    /// the lines with unfinished deliveries and none of them due, then those
    /// lines advanced under their locks (the first read takes none, so it may
    /// name a line another write is advancing; the second finds it busy).
    pub(super) async fn resume_lines(&self, now: DateTime<Utc>) -> Result<u64> {
        let idle: Vec<(String, String)> = sqlx::query_as(
            "SELECT webhook_id, ordering_key FROM deliveries \
             WHERE ordering_key IS NOT NULL AND status IN ('pending', 'retrying') \
             GROUP BY webhook_id, ordering_key HAVING count(next_attempt_at) = 0",
        )
        .persistent(false)
        .fetch_all(&self.pool)
        .await?;
        if idle.is_empty() {
            return Ok(0);
        }
        let lines: Vec<FifoKey> = idle
            .into_iter()
            .map(|(webhook_id, ordering_key)| FifoKey {
                webhook_id: WebhookId::from(webhook_id),
                ordering_key,
            })
            .collect();
        let lines: Vec<&FifoKey> = lines.iter().collect();
        let mut tx = self.pool.begin().await?;
        lock(&mut tx, &lines).await?;
        let resumed = advance(&mut tx, &lines, now).await?;
        tx.commit().await?;
        Ok(resumed)
    }
}
