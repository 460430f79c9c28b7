//! The worker's heartbeat: a killed process cannot release its leases, so
//! every worker says in the store that it is alive, and takes back the leases
//! of workers that fell silent.

use std::time::Duration;

use chrono::TimeDelta;

use super::{Worker, DEAD_AFTER_HEARTBEATS};
use crate::clock;

/// Say every `heartbeat_interval` that this worker is alive, taking back
/// the leases of workers that fell silent (see [`crate::store::QueueStore::heartbeat`]).
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
    }
}
