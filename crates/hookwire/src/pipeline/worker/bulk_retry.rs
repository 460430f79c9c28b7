//! Bulk retries carried on: a stored bulk retry (`POST /deliveries/retry`)
//! requeues its deliveries a second's worth at a time, a little ahead of
//! their turn, so a recovery of 100,000 deliveries costs the database one
//! short statement a second rather than one long one at the start. Every
//! worker does this for every node's bulk retries (the store hands each
//! chunk to one of them); this module owns only the pace, the store the
//! rows (see [`crate::store::QueueStore::continue_bulk_retry`]).
//!
//! It only paces: which deliveries a bulk retry covers was fixed when it was
//! stored ([`crate::service`]), and the requeue itself is one store statement.

use std::time::Duration;

use chrono::TimeDelta;

use super::Worker;
use crate::clock;
use crate::store::DynStore;

/// How often a worker looks for bulk retries with deliveries coming due.
const EVERY: Duration = Duration::from_millis(500);

/// How far ahead of their turn deliveries are requeued: more than [`EVERY`],
/// so a worker that looks on time always finds the next ones requeued.
pub(crate) const AHEAD: TimeDelta = TimeDelta::seconds(1);

/// The most chunks one look requeues, so a pile of bulk retries cannot hold
/// a worker's look for long (the rest wait [`EVERY`]).
const CHUNKS_PER_LOOK: usize = 64;

/// Every [`EVERY`], requeue the deliveries of stored bulk retries that come
/// due within [`AHEAD`], waking the claim loop for them.
pub(super) async fn carry_on(worker: Worker) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match requeue_due(&worker.shared.store).await {
            Ok(0) => {}
            Ok(_) => worker.shared.wake.notify_one(),
            Err(e) => tracing::warn!(error = %e, "could not carry on a bulk retry"),
        }
    }
}

/// Requeue the chunks of stored bulk retries due within [`AHEAD`], at most
/// [`CHUNKS_PER_LOOK`]; returns how many deliveries.
async fn requeue_due(store: &DynStore) -> crate::store::Result<u64> {
    let mut requeued = 0;
    for _ in 0..CHUNKS_PER_LOOK {
        match store.continue_bulk_retry(clock::now(), AHEAD).await? {
            Some(n) => requeued += n,
            None => break,
        }
    }
    Ok(requeued)
}
