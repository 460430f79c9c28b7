//! New history outside the group commit (SQLite): the test send's leased
//! delivery and a replay's queued deliveries, each in one transaction on the
//! writer's `Inline` connection, and the group commit's entry point (the
//! batch itself is written in [`write`](super::write)).
//!
//! Writes only: the history's reads are shared (`store/sql/history.rs`), the
//! queue's statements are [`queue`](super::queue)'s.

use async_trait::async_trait;

use super::rows::{generation_is, insert_deliveries, insert_events};
use super::{Result, SqliteStore};
use crate::model::{Delivery, Event};
use crate::store::{EventStore, WriteBatch, Written};

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
}
