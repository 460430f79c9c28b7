//! Group commit of writes: the publishes and attempt results that arrive while
//! a commit is in flight are stored together in the next transaction, so a
//! burst costs one durable commit (one fsync) instead of one per write — and
//! a round of publishing and delivering costs one, not one for each side.
//!
//! There is no timer: between two commits a slot holder only yields to the
//! runtime a few times while the next batch is smaller than the last one
//! (`Lane::gather`), so writes in flight can join it. A write joins the
//! pending list and waits for one of `concurrency` commit slots — or for its
//! answer, when an earlier slot holder took it along; whoever gets a slot
//! takes everything pending and commits it in a task of its own, so a caller
//! that goes away (an HTTP client hanging up) never abandons the others'
//! writes halfway. When the batch fails as a whole — one bad publish rolls
//! back all — each publish is retried alone and the results are written on
//! their own, so one failure never becomes another write's error.
//!
//! After the commit, the same task hands the leased deliveries to the worker
//! (direct dispatch) and wakes the queue's workers; the caller only gets its
//! result.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, Notify, Semaphore};

use crate::delivery::attempt::Recorder;
use crate::delivery::Reservation;
use crate::model::{Attempt, Event};
use crate::store::{self, AttemptResult, DirectClaim, DynStore, PublishRequest, Published};

/// Most yields a commit slot spends gathering the next batch
/// ([`Lane::gather`]).
const GATHER_YIELDS: usize = 3;

/// One publish waiting for its commit.
pub(crate) struct Publish {
    pub(crate) event: Event,
    pub(crate) patterns: Vec<String>,
    pub(crate) dedupe_since: DateTime<Utc>,
    /// Places in this process's worker for the fresh deliveries, if it runs one.
    pub(crate) reservation: Option<Reservation>,
}

impl Publish {
    fn request(&self) -> PublishRequest<'_> {
        PublishRequest {
            event: &self.event,
            patterns: &self.patterns,
            dedupe_since: self.dedupe_since,
            direct: self.reservation.as_ref().map(|r| r as &dyn DirectClaim),
        }
    }
}

type Reply<T> = oneshot::Sender<store::Result<T>>;

/// One attempt's result waiting for its commit; the reply hands the attempt
/// back with whether the lease still held.
struct PendingResult {
    owner: String,
    attempt: Attempt,
    result: AttemptResult,
    reply: Reply<(bool, Attempt)>,
}

/// Everything waiting for the next commit.
#[derive(Default)]
struct Pending {
    publishes: Vec<(Publish, Reply<Published>)>,
    results: Vec<PendingResult>,
}

impl Pending {
    /// Writes of either kind.
    fn len(&self) -> usize {
        self.publishes.len() + self.results.len()
    }
}

/// Writes waiting for a commit and the slots to commit them.
struct Lane {
    pending: Mutex<Pending>,
    slots: Arc<Semaphore>,
}

impl Lane {
    fn new(slots: usize) -> Arc<Self> {
        Arc::new(Self {
            pending: Mutex::default(),
            slots: Arc::new(Semaphore::new(slots.max(1))),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Give the writes in flight a moment to join the next batch: yield to
    /// the runtime (at most [`GATHER_YIELDS`] times, no timer) until `want`
    /// are pending — as many as the batch just committed, so a busy lane's
    /// batches stay full, while under light load a write that is already
    /// pending is taken at once. A commit's cost is mostly per commit (the
    /// WAL pages every index touches, the fsync), so fuller batches cost less
    /// per write.
    async fn gather(&self, want: usize) {
        for _ in 0..GATHER_YIELDS {
            if self.lock().len() >= want {
                break;
            }
            tokio::task::yield_now().await;
        }
    }

    /// Everything pending, if anything is.
    fn take(&self) -> Option<Pending> {
        let batch = std::mem::take(&mut *self.lock());
        (batch.len() > 0).then_some(batch)
    }
}

/// The pending writes of one engine.
///
/// Where writes serialise anyway (SQLite: `write_concurrency() == 1`)
/// publishes and results share one lane, so a round of publishing and
/// delivering commits once. Where the database runs transactions in parallel
/// (PostgreSQL), results get a lane of their own with half as many slots:
/// measured there, one shared lane delivered ~12 % less than two.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    publishes: Arc<Lane>,
    results: Arc<Lane>,
    store: DynStore,
    /// Notified when a committed publish queued deliveries.
    wake: Arc<Notify>,
}

impl GroupCommit {
    pub(crate) fn new(store: DynStore, wake: Arc<Notify>) -> Self {
        let concurrency = store.write_concurrency();
        let publishes = Lane::new(concurrency);
        let results = if concurrency <= 1 {
            publishes.clone()
        } else {
            Lane::new(concurrency.div_ceil(2))
        };
        Self {
            publishes,
            results,
            store,
            wake,
        }
    }

    /// Store `publish` in the next batch; after its commit its leased deliveries
    /// are dispatched and the workers woken if some went to the queue.
    pub(crate) async fn publish(&self, publish: Publish) -> store::Result<Published> {
        let (reply, answer) = oneshot::channel();
        self.publishes.lock().publishes.push((publish, reply));
        self.commit_or_wait(&self.publishes, answer).await
    }

    /// Store an attempt and its delivery's new state in the next batch (see
    /// [`store::QueueStore::record_attempts`]).
    async fn record_result(
        &self,
        owner: &str,
        attempt: Attempt,
        result: AttemptResult,
    ) -> store::Result<(bool, Attempt)> {
        let (reply, answer) = oneshot::channel();
        self.results.lock().results.push(PendingResult {
            owner: owner.to_owned(),
            attempt,
            result,
            reply,
        });
        self.commit_or_wait(&self.results, answer).await
    }

    /// Wait for one of `lane`'s commit slots, unless an earlier slot holder
    /// commits this write first: then the answer is here and the slot is not
    /// needed.
    async fn commit_or_wait<T>(
        &self,
        lane: &Arc<Lane>,
        mut answer: oneshot::Receiver<store::Result<T>>,
    ) -> store::Result<T> {
        let abandoned = || Err(store::Error::Batch("write batch abandoned".into()));
        let slot = tokio::select! {
            biased;
            answer = &mut answer => return answer.unwrap_or_else(|_| abandoned()),
            slot = lane.slots.clone().acquire_owned() => slot,
        };
        // The semaphore is never closed.
        if let Ok(slot) = slot {
            if let Some(batch) = lane.take() {
                let (this, lane) = (self.clone(), lane.clone());
                tokio::spawn(async move {
                    // Keep the slot while writes keep arriving: handing it to a
                    // waiting caller would cost two task wake-ups per round.
                    let mut batch = Some(batch);
                    while let Some(next) = batch {
                        let size = next.len();
                        this.commit(next).await;
                        lane.gather(size).await;
                        batch = lane.take();
                    }
                    drop(slot);
                });
            }
        }
        answer.await.unwrap_or_else(|_| abandoned())
    }

    /// Commit `batch` in one transaction (the publishes each alone if that
    /// fails), then dispatch and answer each write.
    async fn commit(&self, Pending { publishes, results }: Pending) {
        let mut groups = by_owner(results).into_iter();
        // Results ride along with the publishes (one owner per transaction:
        // there is one worker per process, so in practice all of them).
        let merged = if publishes.is_empty() {
            None
        } else {
            groups.next()
        };
        for group in groups {
            self.write_results(group).await;
        }
        if publishes.is_empty() {
            return;
        }
        let requests: Vec<PublishRequest<'_>> =
            publishes.iter().map(|(p, _)| p.request()).collect();
        let started = std::time::Instant::now();
        let written = match &merged {
            Some(g) => self
                .store
                .publish_and_record(&requests, &g.owner, &g.pairs)
                .await
                .map(|(published, updated)| (published, Some(updated))),
            None => self
                .store
                .publish_batch(&requests)
                .await
                .map(|published| (published, None)),
        };
        drop(requests);
        tracing::trace!(
            publishes = publishes.len(),
            results = merged.as_ref().map_or(0, |g| g.pairs.len()),
            took_us = started.elapsed().as_micros() as u64,
            "write batch"
        );
        match written {
            Ok((published, updated)) => {
                for ((publish, reply), published) in publishes.into_iter().zip(published) {
                    self.finish(publish, reply, Ok(published));
                }
                if let (Some(group), Some(updated)) = (merged, updated) {
                    group.answer(Ok(updated));
                }
            }
            Err(e) if publishes.len() == 1 && merged.is_none() => {
                // Nothing else shared the transaction: the error is this
                // publish's own.
                if let Some((publish, reply)) = publishes.into_iter().next() {
                    if let Some(r) = &publish.reservation {
                        r.release();
                    }
                    self.finish(publish, reply, Err(e));
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, publishes = publishes.len(),
                    "write batch failed; storing each publish alone");
                if let Some(group) = merged {
                    self.write_results(group).await;
                }
                self.publish_each(publishes).await;
            }
        }
    }

    /// One owner's results in a transaction of their own.
    async fn write_results(&self, group: ResultGroup) {
        let started = std::time::Instant::now();
        let written = self.store.record_attempts(&group.owner, &group.pairs).await;
        tracing::trace!(
            results = group.pairs.len(),
            took_us = started.elapsed().as_micros() as u64,
            "result batch"
        );
        group.answer(written);
    }

    /// Each publish of a failed batch in its own transaction.
    async fn publish_each(&self, publishes: Vec<(Publish, Reply<Published>)>) {
        for (publish, reply) in publishes {
            if let Some(r) = &publish.reservation {
                // Places taken by the rolled-back batch.
                r.release();
            }
            let r = publish.request();
            let result = self
                .store
                .publish(r.event, r.patterns, r.dedupe_since, r.direct)
                .await;
            self.finish(publish, reply, result);
        }
    }

    /// Start a committed publish's leased deliveries, wake workers for its
    /// queued ones, count it, and answer the caller (who may have gone away).
    fn finish(&self, publish: Publish, reply: Reply<Published>, result: store::Result<Published>) {
        let result = result.map(|mut published| {
            if !published.duplicate {
                metrics::counter!("hookwire_events_published_total").increment(1);
                metrics::counter!("hookwire_deliveries_created_total")
                    .increment(published.deliveries.len() as u64);
                let jobs = std::mem::take(&mut published.direct);
                let queued = published.deliveries.len() > jobs.len();
                if let Some(reservation) = publish.reservation {
                    reservation.dispatch(jobs);
                }
                if queued {
                    self.wake.notify_one();
                }
            }
            published
        });
        let _ = reply.send(result);
    }
}

#[async_trait::async_trait]
impl Recorder for GroupCommit {
    async fn record(
        &self,
        owner: &str,
        attempt: Attempt,
        result: &AttemptResult,
    ) -> Result<(bool, Attempt), store::Error> {
        self.record_result(owner, attempt, result.clone()).await
    }
}

/// The results of one lease owner.
struct ResultGroup {
    owner: String,
    pairs: Vec<(Attempt, AttemptResult)>,
    replies: Vec<Reply<(bool, Attempt)>>,
}

impl ResultGroup {
    /// Tell each attempt how its write went (handing it back).
    fn answer(self, written: store::Result<Vec<bool>>) {
        match written {
            Ok(flags) => {
                let attempts = self.pairs.into_iter().map(|(a, _)| a);
                for ((reply, flag), attempt) in self.replies.into_iter().zip(flags).zip(attempts) {
                    let _ = reply.send(Ok((flag, attempt)));
                }
            }
            Err(e) => {
                let msg = e.to_string();
                for reply in self.replies {
                    let _ = reply.send(Err(store::Error::Batch(msg.clone())));
                }
            }
        }
    }
}

/// `results` grouped by lease owner, in order of first appearance.
fn by_owner(results: Vec<PendingResult>) -> Vec<ResultGroup> {
    let mut groups: Vec<ResultGroup> = Vec::new();
    for r in results {
        let group = match groups.iter_mut().position(|g| g.owner == r.owner) {
            Some(i) => &mut groups[i],
            None => {
                groups.push(ResultGroup {
                    owner: r.owner,
                    pairs: Vec::new(),
                    replies: Vec::new(),
                });
                let last = groups.len() - 1;
                &mut groups[last]
            }
        };
        group.pairs.push((r.attempt, r.result));
        group.replies.push(r.reply);
    }
    groups
}

#[cfg(test)]
mod tests;
