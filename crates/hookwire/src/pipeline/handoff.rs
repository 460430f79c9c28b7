//! Hand-off: a publish in this process leases its fresh deliveries to this
//! process's worker, which starts them the moment the publish commits — no
//! claim query, no wake-up.
//!
//! While a [`Worker`] runs, it is registered as the engine's
//! [`LocalWorker`](super::worker::LocalWorker). Each publish then takes a
//! [`Reservation`]: at fan-out (before the write)
//! it reserves a place in each matching webhook's lane, or, when the lane is
//! full, leaves that delivery to the queue, due when the lane has likely
//! drained. After the commit, [`Reservation::dispatch`] hands the leased jobs
//! over; if the write fails, is planned again or turns out a duplicate,
//! dropping or re-planning the reservation gives the places back. The
//! deliveries are durable before any attempt starts, and a crash leaves them
//! leased until the lease ends, when any worker retries them.
//!
//! This module owns the places and the lease times; it never writes to the
//! store (the rows it shapes are written by the group commit).

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, TimeDelta, Utc};

use super::worker::Worker;
use crate::clock;
use crate::model::Webhook;
use crate::store::Job;

/// Where a publish puts one fresh delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// Leased to this process's worker until then; it starts the attempt as
    /// soon as the publish commits.
    Leased(DateTime<Utc>),
    /// In the queue for any worker, due then.
    Queued(DateTime<Utc>),
}

/// The places one publish reserved in a worker's lanes.
pub(crate) struct Reservation {
    /// The worker whose lanes hold the places.
    worker: Worker,
    /// The lease the handed-off deliveries are written with.
    lease_until: DateTime<Utc>,
    /// The same moment on this process's monotonic clock.
    lease_ends: Instant,
    /// Webhooks with a reserved place not yet filled.
    taken: Vec<String>,
}

impl Reservation {
    /// Places in `worker`'s lanes, leased until its lease from now ends.
    pub(crate) fn new(worker: &Worker) -> Self {
        let lease = worker.lease();
        Self {
            worker: worker.clone(),
            lease_until: clock::now()
                + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(90)),
            lease_ends: Instant::now() + lease,
            taken: Vec::new(),
        }
    }

    /// The lease owner written on leased deliveries.
    pub(crate) fn owner(&self) -> Arc<str> {
        self.worker.owner_name()
    }

    /// Where the delivery to `webhook` goes: a place in its lane if there is
    /// one, else the queue.
    pub(crate) fn place(&mut self, webhook: &Webhook) -> Placement {
        let timeout = crate::delivery::rate_limit::longest_attempt(webhook);
        match self.worker.reserve(&webhook.id, timeout) {
            Ok(()) => {
                self.taken.push(webhook.id.as_str().to_owned());
                Placement::Leased(self.lease_until)
            }
            Err(wait) => Placement::Queued(
                clock::now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::zero()),
            ),
        }
    }

    /// Start the committed publish's leased jobs.
    pub(crate) fn dispatch(mut self, jobs: Vec<Job>) {
        for job in jobs {
            if let Some(i) = self
                .taken
                .iter()
                .position(|w| w.as_str() == job.webhook.id.as_str())
            {
                self.taken.swap_remove(i);
            }
            self.worker.fill(job, self.lease_ends);
        }
    }

    /// Give back every place taken so far (their rows were not written, or
    /// are being planned again), keeping the reservation usable.
    pub(crate) fn release(&mut self) {
        for webhook_id in self.taken.drain(..) {
            self.worker.cancel(&webhook_id);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}
