//! Capacity bookkeeping for one worker: a lane per webhook.
//!
//! A lane holds the webhook's attempts in flight (at most `cap`) and leased jobs
//! waiting for a place. Jobs reach a lane two ways: a publish in this process
//! reserves a place before its transaction commits (the hand-off) and hands
//! the job over after; or the worker's claim admits jobs from the queue. A place
//! frees the moment an attempt's HTTP exchange ends — recording the result does
//! not hold the endpoint's place — and the next waiting job starts at once, with
//! no database round trip in between.
//!
//! Queued jobs go first. They are older — retries, and deliveries that found
//! the lane full when they were published — so each lane keeps two lines:
//! claimed jobs (at most `wait_cap`, on top of the publishes' places) start
//! before handed-off ones (at most `wait_cap` with those running and
//! reserved). And a few global permits (`claim_reserve`) are kept for claimed
//! jobs: without them, under a sustained overload every permit that comes
//! free would go straight to a handed-off job, the claim would never find
//! one, and the queue — retries included — would wait until the publishes
//! stop.
//!
//! Over all lanes, a semaphore bounds attempts in flight (`max_in_flight`) —
//! from start until their result is recorded, so results cannot pile up in
//! memory when the database falls behind the endpoints — and a
//! count bounds the jobs waiting (`max_waiting`, so memory stays bounded however
//! many endpoints hang). A job that finds no global permit waits, and its lane is
//! listed as blocked so the next finished attempt anywhere starts it. A waiting
//! job that waited so long that its attempt could outlive its lease is dropped
//! unattempted: the lease expires and any worker retries it, never two at once.
//! (A lease shorter than twice the timeout only keeps half of itself in reserve:
//! the operator chose quick takeover over that guarantee, as with claims.)
//!
//! This module owns one worker's capacity and nothing else: it starts no task
//! and touches no store (the worker spawns what it returns, and leases are
//! written by the group commit and the claim), so its rules are tested with
//! plain values (`lanes/tests.rs`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::id::DeliveryId;
use crate::store::Job;

mod lane;

use lane::{tidy, Lane, State};

/// How long an attempt may take to be recorded after its timeout, for the
/// "will the lease outlive it?" check.
const LEASE_MARGIN: Duration = Duration::from_secs(5);

/// A job allowed to start, with the global permit it holds while its HTTP
/// exchange runs.
pub(crate) struct Start {
    /// The job to attempt.
    pub(crate) job: Job,
    /// Its global permit, held until the attempt is recorded.
    pub(crate) permit: OwnedSemaphorePermit,
}

/// The lanes of one worker.
pub(crate) struct Lanes {
    /// Attempts in flight per webhook.
    cap: usize,
    /// The length of the worker's leases, for the latest-start check.
    lease: Duration,
    /// Jobs waiting per webhook before its lane counts as full.
    wait_cap: usize,
    /// Jobs waiting over all lanes.
    max_waiting: usize,
    /// Attempts in flight over all lanes.
    permits: Arc<Semaphore>,
    /// Global permits a handed-off job leaves free, for claimed ones.
    claim_reserve: usize,
    /// The lanes themselves.
    state: Mutex<State>,
}

/// How much a worker's lanes hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Capacity {
    /// How long the worker's jobs are leased, for the latest-start check.
    pub(crate) lease: Duration,
    /// Attempts in flight per webhook.
    pub(crate) per_webhook: usize,
    /// Jobs waiting per webhook, in each of its two lines.
    pub(crate) waiting_per_webhook: usize,
    /// Attempts in flight over all webhooks.
    pub(crate) in_flight: usize,
    /// Of those, the permits kept for claimed jobs (at most an eighth).
    pub(crate) claim_reserve: usize,
    /// Jobs waiting over all webhooks.
    pub(crate) waiting: usize,
}

impl Lanes {
    /// Empty lanes of `capacity`.
    pub(crate) fn new(capacity: Capacity) -> Self {
        let max_in_flight = capacity.in_flight.max(1);
        Self {
            lease: capacity.lease,
            cap: capacity.per_webhook.max(1),
            wait_cap: capacity.waiting_per_webhook,
            max_waiting: capacity.waiting,
            permits: Arc::new(Semaphore::new(max_in_flight)),
            claim_reserve: capacity.claim_reserve.min(max_in_flight / 8),
            state: Mutex::default(),
        }
    }

    /// Global permits free now: how many jobs a claim may usefully take.
    pub(crate) fn free_permits(&self) -> usize {
        self.permits.available_permits()
    }

    /// Webhooks whose lane is full for claimed jobs: a claim should not take
    /// their deliveries.
    pub(crate) fn full(&self) -> Vec<String> {
        self.lock()
            .lanes
            .iter()
            .filter(|(_, l)| self.full_for_claims(l))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// No place for a publish's job: its running, reserved and waiting jobs —
    /// claimed ones included, so publishes overflow while the queue drains.
    fn full_for_publishes(&self, lane: &Lane) -> bool {
        lane.load() >= self.cap + self.wait_cap
    }

    /// No place for a claimed job: its own line holds `wait_cap` jobs (at
    /// least one place, so a claim can feed a lane whatever the setting).
    fn full_for_claims(&self, lane: &Lane) -> bool {
        lane.claimed.len() >= self.wait_cap.max(1)
    }

    /// Reserve a place for a delivery to `webhook_id` that a publish is about to
    /// lease to this worker. `Err` carries how long until the lane has likely
    /// drained, when it (or the worker) is full.
    pub(crate) fn reserve(&self, webhook_id: &str, timeout: Duration) -> Result<(), Duration> {
        let mut state = self.lock();
        let room = state.queued < self.max_waiting;
        let lane = state.lanes.entry(webhook_id.to_owned()).or_default();
        if !room || self.full_for_publishes(lane) {
            let wait = self.drain_estimate(lane, timeout);
            tidy(&mut state, webhook_id);
            return Err(wait);
        }
        lane.reserved += 1;
        state.queued += 1;
        Ok(())
    }

    /// Give back a reservation whose publish did not commit.
    pub(crate) fn cancel(&self, webhook_id: &str) {
        let mut state = self.lock();
        if let Some(lane) = state.lanes.get_mut(webhook_id) {
            lane.reserved = lane.reserved.saturating_sub(1);
            state.queued = state.queued.saturating_sub(1);
        }
        tidy(&mut state, webhook_id);
    }

    /// Hand over the job of a reservation, leased until `deadline`; returns the
    /// jobs that may start now.
    pub(crate) fn fill(&self, job: Job, lease_ends: Instant) -> Vec<Start> {
        let mut state = self.lock();
        let id = job.webhook.id.as_str().to_owned();
        let latest = latest_start(&job, lease_ends, self.lease);
        let lane = state.lanes.entry(id.clone()).or_default();
        lane.reserved = lane.reserved.saturating_sub(1);
        lane.waiting.push_back((job, latest));
        let mut out = Vec::new();
        self.pump(&mut state, &id, &mut out);
        out
    }

    /// Put a claimed job, leased until `lease_ends`, in its lane (returning the
    /// jobs that may start now), or, when the lane is full, refuse it with its
    /// delivery's id and how long until the lane has likely drained.
    pub(crate) fn admit(
        &self,
        job: Job,
        lease_ends: Instant,
    ) -> Result<Vec<Start>, (DeliveryId, Duration)> {
        let mut state = self.lock();
        let id = job.webhook.id.as_str().to_owned();
        let room = state.queued < self.max_waiting;
        let lane = state.lanes.entry(id.clone()).or_default();
        if !room || self.full_for_claims(lane) {
            let wait = self.drain_estimate(lane, longest_attempt_of(&job));
            tidy(&mut state, &id);
            return Err((job.delivery.id, wait));
        }
        let latest = latest_start(&job, lease_ends, self.lease);
        lane.claimed.push_back((job, latest));
        state.queued += 1;
        let mut out = Vec::new();
        self.pump(&mut state, &id, &mut out);
        Ok(out)
    }

    /// An attempt's HTTP exchange to `webhook_id` ended after `took` (its global
    /// permit is held until its result is recorded): free its place. Returns the jobs that may start now, and
    /// whether capacity had been exhausted (the lane full for claimed jobs, or
    /// lanes blocked on global permits) — then a claim held back by it is worth
    /// repeating.
    pub(crate) fn finished(&self, webhook_id: &str, took: Duration) -> (Vec<Start>, bool) {
        let mut state = self.lock();
        let mut was_full = state.any_blocked();
        if let Some(lane) = state.lanes.get(webhook_id) {
            was_full |= self.full_for_claims(lane);
        }
        if let Some(lane) = state.lanes.get_mut(webhook_id) {
            lane.running = lane.running.saturating_sub(1);
            let ms = took.as_secs_f64() * 1000.0;
            lane.avg_ms = if lane.avg_ms == 0.0 {
                ms
            } else {
                0.8 * lane.avg_ms + 0.2 * ms
            };
        }
        let mut out = Vec::new();
        self.pump(&mut state, webhook_id, &mut out);
        self.pump_blocked(&mut state, &mut out);
        tidy(&mut state, webhook_id);
        (out, was_full)
    }

    /// A global permit was given back (its attempt's result is recorded): start
    /// jobs of lanes that were waiting for one. Also says whether some lane was
    /// blocked, so a capacity-limited claim may go again.
    pub(crate) fn released(&self) -> (Vec<Start>, bool) {
        let mut state = self.lock();
        let was_blocked = state.any_blocked();
        let mut out = Vec::new();
        self.pump_blocked(&mut state, &mut out);
        (out, was_blocked)
    }

    /// Pump blocked lanes while global permits last: those with claimed jobs
    /// first, with any permit, then the others while permits beyond the claim
    /// reserve last. Each round starts a job or drops the lane from its list
    /// (a lane at its cap is pumped again when one of its attempts ends), so
    /// this ends, and stops at once when nothing can start.
    fn pump_blocked(&self, state: &mut State, out: &mut Vec<Start>) {
        while self.permits.available_permits() > 0 {
            let Some(next) = state.blocked_claimed.pop_front() else {
                break;
            };
            self.pump(state, &next, out);
            tidy(state, &next);
        }
        while self.permits.available_permits() > self.claim_reserve {
            let Some(next) = state.blocked.pop_front() else {
                break;
            };
            self.pump(state, &next, out);
            tidy(state, &next);
        }
    }

    /// Forget every waiting job (at shutdown: their leases are released).
    pub(crate) fn drain_waiting(&self) -> usize {
        let mut state = self.lock();
        let n = state
            .lanes
            .values()
            .map(|l| l.waiting.len() + l.claimed.len())
            .sum();
        for lane in state.lanes.values_mut() {
            lane.waiting.clear();
            lane.claimed.clear();
        }
        state.queued = state.queued.saturating_sub(n);
        n
    }

    /// Start waiting jobs of one lane, claimed ones first, while it has free
    /// places and permits last (a handed-off job leaves the claim reserve);
    /// drop the ones whose lease could run out mid-attempt.
    fn pump(&self, state: &mut State, webhook_id: &str, out: &mut Vec<Start>) {
        let Some(lane) = state.lanes.get_mut(webhook_id) else {
            return;
        };
        let now = Instant::now();
        while lane.running < self.cap && lane.has_waiting() {
            let reserve = if lane.claimed.is_empty() {
                self.claim_reserve
            } else {
                0
            };
            let permit = if self.permits.available_permits() > reserve {
                self.permits.clone().try_acquire_owned().ok()
            } else {
                None
            };
            let Some(permit) = permit else {
                let list = if lane.claimed.is_empty() {
                    &mut state.blocked
                } else {
                    &mut state.blocked_claimed
                };
                if !list.iter().any(|b| b == webhook_id) {
                    list.push_back(webhook_id.to_owned());
                }
                return;
            };
            if let Some((job, latest)) = lane.next() {
                state.queued = state.queued.saturating_sub(1);
                if now >= latest {
                    tracing::debug!(delivery_id = %job.delivery.id,
                        "lease too short to start; left for its expiry");
                    continue;
                }
                lane.running += 1;
                out.push(Start { job, permit });
            }
        }
    }

    /// How long until a full lane has likely worked off its line: its load over
    /// its places, times the endpoint's recent exchange time (100 ms if unknown),
    /// within [10 ms, the time if every attempt ran into `timeout`].
    fn drain_estimate(&self, lane: &Lane, timeout: Duration) -> Duration {
        let rounds = (lane.load().max(1) as f64 / self.cap as f64).ceil();
        let per = if lane.avg_ms > 0.0 {
            lane.avg_ms
        } else {
            100.0
        };
        let worst = timeout.as_secs_f64() * 1000.0 * rounds;
        Duration::from_secs_f64((rounds * per).clamp(10.0, worst.max(10.0)) / 1000.0)
    }

    /// The state, held; a poisoned lock's state is still consistent, because each
    /// change completes before anything can panic.
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Its timeout, plus the wait for a send slot when its webhook has a rate limit.
fn longest_attempt_of(job: &Job) -> Duration {
    crate::delivery::rate_limit::longest_attempt(&job.webhook)
}

/// The last instant at which `job` may start and still be recorded within its
/// lease (of length `lease`): its longest attempt plus a margin before its end, or half
/// the lease when that is shorter.
fn latest_start(job: &Job, lease_ends: Instant, lease: Duration) -> Instant {
    let reserve = (longest_attempt_of(job) + LEASE_MARGIN).min(lease / 2);
    lease_ends.checked_sub(reserve).unwrap_or_else(Instant::now)
}

#[cfg(test)]
mod tests;
