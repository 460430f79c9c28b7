//! New history outside the group commit (PostgreSQL): the test send's
//! leased delivery and a replay's queued deliveries, each in one
//! transaction, and the group commit's entry point (the batch itself is
//! written in [`write`](super::write)).
//!
//! Writes only: the history's reads are shared (`store/sql/history.rs`), the
//! queue's statements are [`queue`](super::queue)'s.

use async_trait::async_trait;

use super::write::{insert_event, insert_rows};
use super::{PgStore, Result};
use crate::model::{Delivery, Event};
use crate::store::{EventStore, WriteBatch, Written};

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
}
