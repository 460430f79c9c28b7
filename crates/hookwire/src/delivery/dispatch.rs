//! Direct dispatch: a publish in this process leases its fresh deliveries to this
//! process's worker, which starts them the moment the publish commits.
//!
//! A [`Reservation`] is made per publish. Inside the publish transaction the
//! store asks it where each delivery goes; it reserves a place in the webhook's
//! lane (or, when the lane is full, leaves the delivery to the queue, due when
//! the lane has likely drained). After the commit, [`Reservation::dispatch`] hands
//! the jobs over. If the publish fails, dropping the reservation gives the places
//! back. The deliveries are durable before any attempt starts, and a crash
//! leaves them leased until the lease ends, when any worker retries them.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::worker::Worker;
use crate::clock;
use crate::model::Webhook;
use crate::store::{DirectClaim, Job, Placement};

/// The places one publish reserved in a worker's lanes.
pub(crate) struct Reservation {
    worker: Worker,
    lease_until: DateTime<Utc>,
    lease_ends: Instant,
    /// Webhooks with a reserved place not yet filled.
    taken: Mutex<Vec<String>>,
}

impl Reservation {
    pub(crate) fn new(worker: Worker, lease: Duration) -> Self {
        let now = clock::now();
        Self {
            worker,
            lease_until: now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(90)),
            lease_ends: Instant::now() + lease,
            taken: Mutex::default(),
        }
    }

    /// Start the committed publish's leased jobs.
    pub(crate) fn dispatch(self, jobs: Vec<Job>) {
        for job in jobs {
            {
                let mut taken = self.lock();
                if let Some(i) = taken.iter().position(|w| *w == job.webhook.id) {
                    taken.swap_remove(i);
                }
            }
            self.worker.fill(job, self.lease_ends);
        }
    }

    /// Give back every place taken so far (the transaction that took them
    /// rolled back), keeping the reservation usable for another try.
    pub(crate) fn release(&self) {
        for webhook_id in self.lock().drain(..) {
            self.worker.cancel(&webhook_id);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.taken
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl DirectClaim for Reservation {
    fn owner(&self) -> &str {
        self.worker.owner()
    }

    fn lease_until(&self) -> DateTime<Utc> {
        self.lease_until
    }

    fn place(&self, webhook: &Webhook) -> Placement {
        let timeout = super::rate_limit::longest_attempt(webhook);
        match self.worker.reserve(&webhook.id, timeout) {
            Ok(()) => {
                self.lock().push(webhook.id.clone());
                Placement::Leased
            }
            Err(wait) => Placement::Queued(
                clock::now() + TimeDelta::from_std(wait).unwrap_or(TimeDelta::zero()),
            ),
        }
    }

    fn release(&self) {
        Reservation::release(self);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.release();
    }
}
