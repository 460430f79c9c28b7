//! The delivery worker: attempts deliveries concurrently, within a global and a
//! per-webhook cap.
//!
//! Work reaches it two ways. Fresh deliveries published in this process arrive
//! leased to it already (see `handoff.rs`) and start at once. The
//! rest — retries, deliveries published by other nodes, deliveries whose lane was
//! full — it claims from the store in batches with a lease, sleeping between
//! rounds until work can be due: woken by a publish that left work in the queue
//! (in-process, or a PostgreSQL `NOTIFY`), by a freed place when capacity was what
//! stopped the last claim, at the earliest scheduled retry (also one that its
//! own attempts schedule while it naps), or after a poll interval as a
//! fallback. Capacity lives in `lanes`: a slow or dead endpoint holds at most
//! its few places and never starves the others.
//!
//! This module owns the loop, the worker's liveness and the attempt tasks'
//! lifetime. It must not write rows itself beyond the queue's own statements
//! (claim, unclaim, release, heartbeat): results go through the group commit,
//! and fresh deliveries reach it only through the hand-off.

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeDelta;
use tokio::sync::Notify;
use tokio_util::task::{AbortOnDropHandle, TaskTracker};

use super::lanes::{Capacity, Lanes, Start};
use crate::delivery::attempt::Recorder;
use crate::delivery::circuit::Breaker;
use crate::delivery::http::HttpSender;
use crate::store::{DynStore, Job};
use crate::{clock, Hookwire};

mod bulk_retry;
mod claim;
mod holds;
mod job;
mod liveness;
mod options;

pub(crate) use bulk_retry::AHEAD as BULK_RETRY_AHEAD;
use claim::Claimed;
pub use liveness::Heartbeat;
pub use options::{WorkerOptions, DEAD_AFTER_HEARTBEATS};

/// A delivery worker. Any number may run, in one process or many.
#[derive(Clone)]
pub struct Worker {
    /// Everything the clones share (a worker is cheap to clone into tasks).
    shared: Arc<Shared>,
}

/// What every clone of a [`Worker`] shares: one set of lanes, one store, one
/// shutdown.
struct Shared {
    /// Where results go: the engine's group commit, with its publishes.
    recorder: Arc<dyn Recorder>,
    /// The engine, to publish operational events (a disabled webhook, an
    /// exhausted delivery). Held while the worker lives; the engine holds the
    /// worker only while it runs (`local`), so the two part when it stops.
    engine: Hookwire,
    /// Where claims, leases and requeues go.
    store: DynStore,
    /// The HTTP client every attempt sends with.
    sender: HttpSender,
    /// The circuit breakers' gate and count around each attempt.
    breaker: Arc<Breaker>,
    /// This worker's lease owner name, unique per process start.
    owner: Arc<str>,
    /// Batch, lease, caps and heartbeat.
    options: WorkerOptions,
    /// How long a webhook may fail without a success before it is disabled.
    auto_disable_after: Duration,
    /// Rung by publishes and by the store's notifications: claim now.
    wake: Arc<Notify>,
    /// The loop's liveness, for readiness checks.
    heartbeat: Heartbeat,
    /// Capacity per webhook and overall.
    lanes: Lanes,
    /// Every attempt task, for the shutdown drain.
    tracker: TaskTracker,
    /// Notified when a place frees in a lane that was full (or when global
    /// permits ran out): the one event that makes a capacity-limited claim worth
    /// repeating.
    freed: Notify,
    /// Set while the claim loop waits for capacity (see `Permit`'s drop).
    wants_permits: std::sync::atomic::AtomicBool,
    /// Where this process's publishes find the running worker.
    local: LocalWorker,
    /// When the claim loop's nap ends, in ms since the epoch: `i64::MIN` while
    /// it is awake, `i64::MAX` while it is working out how long to nap. An
    /// attempt that schedules work before this wakes it (see `wake_for`), so
    /// a retry starts on time, not at the end of a nap planned without it.
    nap_until_ms: AtomicI64,
}

/// Where publishes find this process's running worker: set by
/// [`Worker::run`] while it runs, shared by every clone of the engine.
#[derive(Clone, Default)]
pub(crate) struct LocalWorker(Arc<std::sync::RwLock<Option<Worker>>>);

impl LocalWorker {
    /// Install (or remove, at shutdown) the worker publishes hand off to.
    fn set(&self, worker: Option<Worker>) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = worker;
    }

    /// The running worker, if any.
    pub(crate) fn get(&self) -> Option<Worker> {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl Worker {
    /// A worker for `hookwire`'s store, woken by its publishes and fed its
    /// publishes' fresh deliveries while it runs; its results are committed by
    /// the engine's group commit, together with the publishes where the store
    /// serialises writes anyway.
    pub fn new(hookwire: &Hookwire, options: WorkerOptions) -> Self {
        let owner: Arc<str> = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into()),
            std::process::id(),
            &crate::id::new_id("w")[2..14]
        )
        .into();
        let lanes = Lanes::new(Capacity {
            lease: options.lease,
            per_webhook: options.per_webhook_in_flight,
            waiting_per_webhook: options.per_webhook_waiting,
            in_flight: options.max_in_flight,
            // A claim goes again once a quarter batch of permits is free:
            // keep that many for claimed jobs.
            claim_reserve: quarter_batch(options.batch_size),
            waiting: options.max_in_flight.max(1) * 4,
        });
        Self {
            shared: Arc::new(Shared {
                recorder: hookwire.recorder(),
                engine: hookwire.clone(),
                store: hookwire.store().clone(),
                sender: hookwire.sender().clone(),
                breaker: hookwire.breaker().clone(),
                owner,
                lanes,
                options,
                auto_disable_after: hookwire.options().auto_disable_after,
                wake: hookwire.wake_handle(),
                heartbeat: Heartbeat::default(),
                tracker: TaskTracker::new(),
                freed: Notify::new(),
                wants_permits: std::sync::atomic::AtomicBool::new(false),
                local: hookwire.local_worker(),
                nap_until_ms: AtomicI64::new(i64::MIN),
            }),
        }
    }

    /// This worker's heartbeat, for health checks.
    pub fn heartbeat(&self) -> Heartbeat {
        self.shared.heartbeat.clone()
    }

    /// The name this worker's leases carry.
    pub fn owner(&self) -> &str {
        &self.shared.owner
    }

    /// Run until `shutdown` resolves; then stop claiming and taking publishes,
    /// give in-flight attempts `shutdown_grace` to finish, and release the leases
    /// of the rest.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let s = &self.shared;
        s.store.watch(s.wake.clone());
        // Beats for as long as this future lives: dropped (a task aborted, a
        // process killed), the worker falls silent and the others take over.
        let _alive = AbortOnDropHandle::new(tokio::spawn(liveness::keep_alive(self.clone())));
        let _bulk = AbortOnDropHandle::new(tokio::spawn(bulk_retry::carry_on(self.clone())));
        let _circuits = AbortOnDropHandle::new(tokio::spawn(s.breaker.clone().keep_fresh()));
        s.local.set(Some(self.clone()));
        tokio::pin!(shutdown);
        loop {
            // A full claim goes straight on to the next one, so the nap below
            // may never come round under a backlog: look for a stop first.
            tokio::select! {
                biased;
                () = &mut shutdown => break,
                () = std::future::ready(()) => {}
            }
            s.heartbeat.beat();
            let round = match self.claim().await {
                Ok(round) => round,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed; retrying");
                    Claimed {
                        count: 0,
                        limited: false,
                        short_of_permits: false,
                        drained: false,
                    }
                }
            };
            if round.count == s.options.batch_size as usize && !round.limited {
                continue;
            }
            if round.short_of_permits && !round.drained {
                // Ask the next releases for a wake-up, unless enough were freed
                // since the claim looked.
                s.wants_permits.store(true, Ordering::Release);
                if s.lanes.free_permits() >= self.quarter_batch()
                    && s.wants_permits.swap(false, Ordering::AcqRel)
                {
                    continue;
                }
            }
            // Marked before the next due time is read, so that work scheduled
            // after the read (which it misses) sees the mark and wakes the nap.
            s.nap_until_ms.store(i64::MAX, Ordering::SeqCst);
            let nap = if round.limited {
                s.options.poll_interval
            } else {
                self.nap().await
            };
            let until = clock::now() + TimeDelta::from_std(nap).unwrap_or(TimeDelta::zero());
            s.nap_until_ms
                .store(until.timestamp_millis(), Ordering::SeqCst);
            tokio::select! {
                () = &mut shutdown => break,
                () = s.wake.notified() => {}
                () = tokio::time::sleep(nap) => {}
                () = s.freed.notified(), if round.limited => {}
            }
            s.nap_until_ms.store(i64::MIN, Ordering::SeqCst);
        }
        s.local.set(None);
        let waiting = s.lanes.drain_waiting();
        s.tracker.close();
        tracing::info!(in_flight = s.tracker.len(), waiting, "worker stopping");
        if tokio::time::timeout(s.options.shutdown_grace, s.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!("attempts still running after the grace period");
        }
        match s.store.release_leases(Some(&s.owner), clock::now()).await {
            Ok(n) if n > 0 => tracing::info!(released = n, "released unfinished leases"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "could not release leases; they expire by themselves")
            }
        }
    }

    /// How long to sleep when idle: until the next scheduled attempt, at most
    /// `poll_interval`.
    async fn nap(&self) -> Duration {
        let poll = self.shared.options.poll_interval;
        match self.shared.store.next_due_at().await {
            Ok(Some(due)) => (due - clock::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(Duration::from_millis(1), poll),
            _ => poll,
        }
    }

    /// Wake the claim loop if it naps past `due`, when this process just made
    /// a delivery due (a retry, a requeue). Another node's naps are bounded by
    /// its poll interval.
    fn wake_for(&self, due: chrono::DateTime<chrono::Utc>) {
        let s = &self.shared;
        if due.timestamp_millis() < s.nap_until_ms.load(Ordering::SeqCst) {
            s.wake.notify_one();
        }
    }

    /// Free permits worth another claim query.
    fn quarter_batch(&self) -> usize {
        quarter_batch(self.shared.options.batch_size)
    }

    /// Reserve a place in `webhook_id`'s lane for a publish (see
    /// [`handoff`](super::handoff)).
    pub(crate) fn reserve(&self, webhook_id: &str, timeout: Duration) -> Result<(), Duration> {
        self.shared.lanes.reserve(webhook_id, timeout)
    }

    /// Give back a reservation whose publish failed.
    pub(crate) fn cancel(&self, webhook_id: &str) {
        self.shared.lanes.cancel(webhook_id);
    }

    /// Hand over a reserved job, leased until `lease_ends`.
    pub(crate) fn fill(&self, job: Job, lease_ends: Instant) {
        let starts = self.shared.lanes.fill(job, lease_ends);
        self.start(starts);
    }

    /// The owner name, shared with the rows of this worker's leases.
    pub(crate) fn owner_name(&self) -> Arc<str> {
        self.shared.owner.clone()
    }

    /// How long this worker's leases last.
    pub(crate) fn lease(&self) -> Duration {
        self.shared.options.lease
    }

    /// Spawn an attempt for each job the lanes let start, tracked for shutdown.
    fn start(&self, starts: Vec<Start>) {
        for start in starts {
            self.shared.tracker.spawn(self.clone().attempt(start));
        }
    }
}

/// A quarter of a claim batch: the free permits worth another claim query,
/// and the permits kept for claimed jobs.
fn quarter_batch(batch_size: u32) -> usize {
    (batch_size as usize / 4).max(1)
}
