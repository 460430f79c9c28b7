//! The lines of fifo webhooks (SQLite): which delivery of a line is due.
//!
//! A line is a fifo webhook's unfinished deliveries of one ordering key, in
//! publish order (rowid: the single writer inserts in commit order). Exactly
//! its first delivery has a `next_attempt_at` (due, leased, or waiting for a
//! retry); the others have none, so no claim sees them. When the first
//! becomes final, the write that records it makes the next one due here, in
//! the same transaction. Nothing else in the store needs to know: claims,
//! leases and takeovers only ever see a line's first delivery.

use rusqlite::{params, Connection};

use super::{ms, Result, SqliteStore};
use crate::model::FifoKey;
use chrono::{DateTime, Utc};

/// Make the first delivery of each of `lines` due at `now`, unless one of
/// the line's deliveries is due, leased or scheduled already. Returns how
/// many were made due. Runs inside the caller's write transaction.
pub(super) fn advance<'k>(
    conn: &Connection,
    lines: impl IntoIterator<Item = &'k FifoKey>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut lines = lines.into_iter().peekable();
    if lines.peek().is_none() {
        return Ok(0);
    }
    let mut advance = conn.prepare_cached(
        "UPDATE deliveries SET next_attempt_at = ?3 \
         WHERE rowid = (SELECT rowid FROM deliveries \
                        WHERE webhook_id = ?1 AND ordering_key = ?2 \
                          AND status IN ('pending', 'retrying') \
                        ORDER BY rowid LIMIT 1) \
           AND next_attempt_at IS NULL \
           AND NOT EXISTS (SELECT 1 FROM deliveries \
                           WHERE webhook_id = ?1 AND ordering_key = ?2 \
                             AND status IN ('pending', 'retrying') \
                             AND next_attempt_at IS NOT NULL)",
    )?;
    let mut made_due = 0;
    for line in lines {
        made_due += advance.execute(params![line.webhook_id, line.ordering_key, ms(now)])? as u64;
    }
    Ok(made_due)
}

impl SqliteStore {
    /// See [`QueueStore::resume_fifo_lines`](crate::store::QueueStore::resume_fifo_lines):
    /// one statement over the index of unfinished fifo deliveries.
    pub(super) async fn resume_lines(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut writer = self.writer.lock().await;
        let tx = writer.inline().begin()?;
        let resumed = tx
            .conn()
            .prepare_cached(
                "UPDATE deliveries SET next_attempt_at = ?1 \
                 WHERE rowid IN (SELECT min(rowid) FROM deliveries \
                                 WHERE ordering_key IS NOT NULL \
                                   AND status IN ('pending', 'retrying') \
                                 GROUP BY webhook_id, ordering_key \
                                 HAVING count(next_attempt_at) = 0)",
            )?
            .execute([ms(now)])?;
        tx.commit()?;
        Ok(resumed as u64)
    }
}
