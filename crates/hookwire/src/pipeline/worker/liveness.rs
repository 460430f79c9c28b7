//! The worker's liveness, twice over: in the store, for the other nodes (a
//! killed process cannot release its leases, so every worker says it is alive
//! and takes back the leases of workers that fell silent), and in the process,
//! for readiness checks ([`Heartbeat`]).
//!
//! It reports and reclaims; it does not start or stop work (the worker's loop
//! does).

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;

use super::{Worker, DEAD_AFTER_HEARTBEATS};
use crate::clock;

/// Say every `heartbeat_interval` that this worker is alive, taking back
/// the leases of workers that fell silent (see [`crate::store::QueueStore::heartbeat`]),
/// and resume fifo lines left with nothing due (see
/// [`crate::store::QueueStore::resume_fifo_lines`]).
pub(super) async fn keep_alive(worker: Worker) {
    let s = &worker.shared;
    let every = s.options.heartbeat_interval.max(Duration::from_millis(10));
    let dead_after =
        TimeDelta::from_std(every * DEAD_AFTER_HEARTBEATS).unwrap_or(TimeDelta::seconds(30));
    let lease = TimeDelta::from_std(s.options.lease).unwrap_or(TimeDelta::seconds(90));
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = clock::now();
        match s
            .store
            .heartbeat(&s.owner, now, now - dead_after, now + lease)
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                metrics::counter!("hookwire_leases_taken_back_total").increment(n);
                tracing::warn!(
                    released = n,
                    "took back the leases of a worker that fell silent"
                );
                s.wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "could not write the worker's heartbeat"),
        }
        match s.store.resume_fifo_lines(now).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(resumed = n, "resumed fifo lines that had nothing due");
                s.wake.notify_one();
            }
            Err(e) => tracing::warn!(error = %e, "could not resume fifo lines"),
        }
    }
}

/// When a worker last went round its loop, for readiness checks: a worker
/// stuck (on a dead database, say) stops beating.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    /// Note that the loop is alive now (read by readiness checks).
    pub(super) fn beat(&self) {
        self.0
            .store(clock::now().timestamp_millis(), Ordering::Relaxed);
    }

    /// Time since the last round; `None` before the first.
    pub fn age(&self) -> Option<Duration> {
        match self.0.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(
                (clock::now().timestamp_millis() - ms).max(0) as u64,
            )),
        }
    }
}
