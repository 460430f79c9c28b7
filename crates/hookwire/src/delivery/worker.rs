//! The delivery worker: claims due deliveries and attempts them concurrently.
//!
//! Each round claims a batch with a lease, spawns one task per delivery, and
//! sleeps until work can be due: woken at once by an in-process publish or a
//! PostgreSQL `NOTIFY`, or at the earliest scheduled retry, or after a poll
//! interval as a fallback. Capacity is bounded twice: `max_in_flight` overall and
//! `per_webhook_in_flight` per webhook, so a slow or dead endpoint holds at most a
//! few tasks and never starves the others.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio::task::JoinSet;

use super::attempt::{self, Recorder};
use super::http::HttpSender;
use crate::model::Attempt;
use crate::store::AttemptResult;
use crate::store::{self, DynStore, Job};
use crate::{clock, Hookwire};

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Deliveries claimed per round.
    pub batch_size: u32,
    /// How long a claim is held before another worker may take the delivery over
    /// (must exceed the longest webhook timeout, 60 s).
    pub lease: Duration,
    /// Longest sleep between rounds when nothing wakes the worker.
    pub poll_interval: Duration,
    /// Attempts in flight at once, over all webhooks.
    pub max_in_flight: usize,
    /// Attempts in flight at once to one webhook.
    pub per_webhook_in_flight: usize,
    /// How long in-flight attempts may finish after shutdown is requested.
    pub shutdown_grace: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            batch_size: 64,
            lease: Duration::from_secs(90),
            poll_interval: Duration::from_secs(1),
            max_in_flight: 256,
            per_webhook_in_flight: 10,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// When a worker last went round its loop, for readiness checks: a worker
/// stuck (on a dead database, say) stops beating.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat(Arc<AtomicI64>);

impl Heartbeat {
    fn beat(&self) {
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

/// A delivery worker. Any number may run, in one process or many.
#[derive(Clone)]
pub struct Worker {
    shared: Arc<Shared>,
}

/// Most results written in one transaction.
const MAX_RESULT_BATCH: usize = 256;

/// A result waiting to be written, and where to report how that went.
struct PendingResult {
    attempt: Attempt,
    result: AttemptResult,
    reply: oneshot::Sender<Result<bool, String>>,
}

/// Group commit of attempt results: each attempt hands its result over and
/// waits; one task writes whatever arrived while the previous write was in flight
/// in a single transaction. Under load that turns one durable commit per
/// delivery into one per batch.
struct Batcher {
    queue: mpsc::UnboundedSender<PendingResult>,
}

impl Batcher {
    /// Start the writer task (needs a Tokio runtime).
    fn start(store: DynStore, owner: String) -> Self {
        let (queue, mut rx) = mpsc::unbounded_channel::<PendingResult>();
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut batch = vec![first];
                while batch.len() < MAX_RESULT_BATCH {
                    match rx.try_recv() {
                        Ok(p) => batch.push(p),
                        Err(_) => break,
                    }
                }
                let (results, replies): (Vec<_>, Vec<_>) = batch
                    .into_iter()
                    .map(|p| ((p.attempt, p.result), p.reply))
                    .unzip();
                match store.record_attempts(&owner, &results).await {
                    Ok(flags) => {
                        for (reply, flag) in replies.into_iter().zip(flags) {
                            let _ = reply.send(Ok(flag));
                        }
                    }
                    Err(e) => {
                        let msg = e.to_string();
                        for reply in replies {
                            let _ = reply.send(Err(msg.clone()));
                        }
                    }
                }
            }
        });
        Self { queue }
    }
}

#[async_trait::async_trait]
impl Recorder for Batcher {
    async fn record(
        &self,
        _owner: &str,
        attempt: &Attempt,
        result: &AttemptResult,
    ) -> Result<bool, store::Error> {
        let (reply, outcome) = oneshot::channel();
        let pending = PendingResult {
            attempt: attempt.clone(),
            result: result.clone(),
            reply,
        };
        let stopped = || store::Error::Batch("the result writer stopped".into());
        self.queue.send(pending).map_err(|_| stopped())?;
        outcome
            .await
            .map_err(|_| stopped())?
            .map_err(store::Error::Batch)
    }
}

struct Shared {
    batcher: Batcher,
    store: DynStore,
    sender: HttpSender,
    owner: String,
    options: WorkerOptions,
    auto_disable_after: Duration,
    wake: Arc<Notify>,
    heartbeat: Heartbeat,
    permits: Arc<Semaphore>,
    per_webhook: Mutex<HashMap<String, usize>>,
}

impl Worker {
    /// A worker for `hookwire`'s store, woken by its publishes. Call within a
    /// Tokio runtime (it starts its result writer).
    pub fn new(hookwire: &Hookwire, options: WorkerOptions) -> Self {
        let owner = format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into()),
            std::process::id(),
            &crate::id::new_id("w")[2..14]
        );
        Self {
            shared: Arc::new(Shared {
                batcher: Batcher::start(hookwire.store().clone(), owner.clone()),
                store: hookwire.store().clone(),
                sender: hookwire.sender().clone(),
                owner,
                permits: Arc::new(Semaphore::new(options.max_in_flight.max(1))),
                options,
                auto_disable_after: hookwire.options().auto_disable_after,
                wake: hookwire.wake_handle(),
                heartbeat: Heartbeat::default(),
                per_webhook: Mutex::new(HashMap::new()),
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

    /// Run until `shutdown` resolves; then stop claiming, give in-flight attempts
    /// `shutdown_grace` to finish, and release the leases of the rest.
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let s = &self.shared;
        s.store.watch(s.wake.clone());
        tokio::pin!(shutdown);
        let mut tasks = JoinSet::new();
        loop {
            s.heartbeat.beat();
            while tasks.try_join_next().is_some() {}
            let free = s
                .permits
                .available_permits()
                .min(s.options.batch_size as usize);
            let claimed = match self.claim(free).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed; retrying");
                    Vec::new()
                }
            };
            let full_batch = claimed.len() == s.options.batch_size as usize;
            for job in claimed {
                tasks.spawn(self.clone().attempt(job));
            }
            if full_batch {
                continue;
            }
            let nap = self.nap().await;
            tokio::select! {
                () = &mut shutdown => break,
                () = s.wake.notified() => {}
                () = tokio::time::sleep(nap) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        tracing::info!(in_flight = tasks.len(), "worker stopping");
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(s.options.shutdown_grace, drain)
            .await
            .is_err()
        {
            tasks.abort_all();
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

    /// Claim up to `max` due jobs, skipping webhooks at their cap; jobs beyond a
    /// webhook's cap within the batch are handed back at once.
    async fn claim(&self, max: usize) -> Result<Vec<Job>, store::Error> {
        let s = &self.shared;
        if max == 0 {
            return Ok(Vec::new());
        }
        let cap = s.options.per_webhook_in_flight.max(1);
        let skip: Vec<String> = lock(&s.per_webhook)
            .iter()
            .filter(|(_, n)| **n >= cap)
            .map(|(id, _)| id.clone())
            .collect();
        let now = clock::now();
        let lease = TimeDelta::from_std(s.options.lease).unwrap_or(TimeDelta::seconds(90));
        let jobs = s
            .store
            .claim_due(&s.owner, now, now + lease, max as u32, &skip)
            .await?;
        let mut taken = Vec::with_capacity(jobs.len());
        let mut handed_back = Vec::new();
        {
            let mut counts = lock(&s.per_webhook);
            for job in jobs {
                let n = counts.entry(job.webhook.id.clone()).or_insert(0);
                if *n < cap {
                    *n += 1;
                    taken.push(job);
                } else {
                    handed_back.push(job.delivery.id);
                }
            }
        }
        if !handed_back.is_empty() {
            s.store.unclaim(&s.owner, &handed_back, now).await?;
        }
        Ok(taken)
    }

    /// Attempt one claimed job, holding a global permit and the webhook's slot.
    async fn attempt(self, job: Job) {
        let s = &self.shared;
        let _permit = s.permits.clone().acquire_owned().await;
        let in_flight = metrics::gauge!("hookwire_deliveries_in_flight");
        in_flight.increment(1.0);
        let ctx = attempt::Context {
            store: &s.store,
            sender: &s.sender,
            owner: &s.owner,
            recorder: &s.batcher,
            auto_disable_after: s.auto_disable_after,
        };
        let result = attempt::run(&ctx, &job, None).await;
        if let Err(e) = result {
            // The lease expires and another attempt follows; nothing is lost.
            tracing::warn!(delivery_id = %job.delivery.id, error = %e, "recording an attempt failed");
        }
        in_flight.decrement(1.0);
        let mut counts = lock(&s.per_webhook);
        if let Some(n) = counts.get_mut(&job.webhook.id) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&job.webhook.id);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
