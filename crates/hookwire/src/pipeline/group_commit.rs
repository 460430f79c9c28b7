//! Group commit of writes: the publishes and attempt results that arrive while
//! a commit is in flight are stored together in the next transaction, so a
//! burst costs one durable commit (one fsync) instead of one per write — and
//! a round of publishing and delivering costs one, not one for each side.
//!
//! There is no timer: between two commits a committer only yields to the
//! runtime a few times while the next batch is smaller than the last one
//! (`WriteQueue::gather`), so writes in flight can join it. A write joins the
//! pending list and waits for one of `concurrency` commit turns — or for its
//! answer, when an earlier committer took it along; whoever gets a turn takes
//! everything pending and commits it in a task of its own, so a caller that
//! goes away (an HTTP client hanging up) never abandons the others' writes
//! halfway. Each commit fans its publishes out ([`fan_out`](super::fan_out))
//! and makes one [`write`](crate::store::EventStore::write). When the batch
//! fails as a whole — one bad publish rolls back all — each publish is
//! written alone and the results on their own, so one failure never becomes
//! another write's error.
//!
//! After the commit, the same task hands the leased deliveries to the worker
//! ([`handoff`](super::handoff)) and wakes the queue's workers; the caller
//! only gets its result.
//!
//! This module owns batching and the order of the steps; it holds no SQL.

use std::sync::{Arc, Mutex};

use tokio::sync::{oneshot, Notify, Semaphore};

use super::fan_out::{published, FanOut, Publish};
use crate::delivery::attempt::Recorder;
use crate::model::Attempt;
use crate::store::{self, AttemptRecord, DynStore, Published, Stored, WriteBatch, Written};

/// Most yields a committer spends gathering the next batch
/// ([`WriteQueue::gather`]).
const GATHER_YIELDS: usize = 3;

/// Where a waiting write hears its commit's outcome.
type Reply<T> = oneshot::Sender<store::Result<T>>;

/// One attempt's result waiting for its commit; the reply hands the attempt
/// back with whether the lease still held.
struct PendingResult {
    /// The result to write.
    record: AttemptRecord,
    /// Told once the commit is durable (or failed).
    reply: Reply<(bool, Attempt)>,
}

/// Everything waiting for the next commit.
#[derive(Default)]
struct Pending {
    /// Publishes in arrival order.
    publishes: Vec<Publish>,
    /// One per publish, in the same order.
    replies: Vec<Reply<Published>>,
    /// Attempt results in arrival order.
    results: Vec<PendingResult>,
}

impl Pending {
    /// Writes of either kind.
    fn len(&self) -> usize {
        self.publishes.len() + self.results.len()
    }
}

/// Writes waiting for a commit, and the turns to commit them.
struct WriteQueue {
    /// What the next commit takes, all of it.
    pending: Mutex<Pending>,
    /// Commits allowed in flight at once: one waits for its flush while the
    /// next gathers.
    turns: Arc<Semaphore>,
}

impl WriteQueue {
    /// A queue with `turns` commits allowed in flight at once.
    fn new(turns: usize) -> Arc<Self> {
        Arc::new(Self {
            pending: Mutex::default(),
            turns: Arc::new(Semaphore::new(turns.max(1))),
        })
    }

    /// The writes waiting for a commit, held briefly.
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
/// publishes and results share one queue, so a round of publishing and
/// delivering commits once. Where the database runs transactions in parallel
/// (PostgreSQL), results get a queue of their own with half as many turns:
/// measured there, one shared queue delivered ~12 % less than two.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    /// Publishes waiting to commit (their commit is what a `202` waits for).
    publishes: Arc<WriteQueue>,
    /// Attempt results waiting to commit: the same queue as `publishes` where
    /// writes serialise anyway, a queue of their own on PostgreSQL (above).
    results: Arc<WriteQueue>,
    /// Where every commit goes.
    store: DynStore,
    /// Turns a gathered batch of publishes into rows.
    fan_out: Arc<FanOut>,
    /// Notified when a committed publish queued deliveries.
    wake: Arc<Notify>,
}

impl GroupCommit {
    /// The engine's group commit over `store`; `wake` is the local worker's, told
    /// when a commit queued work due now.
    pub(crate) fn new(
        store: DynStore,
        wake: Arc<Notify>,
        breaker: Arc<crate::delivery::circuit::Breaker>,
    ) -> Self {
        let concurrency = store.write_concurrency();
        let publishes = WriteQueue::new(concurrency);
        let results = if concurrency <= 1 {
            publishes.clone()
        } else {
            WriteQueue::new(concurrency.div_ceil(2))
        };
        Self {
            publishes,
            results,
            fan_out: Arc::new(FanOut::new(store.clone(), Some(breaker))),
            store,
            wake,
        }
    }

    /// Store `publish` in the next batch; after its commit its leased deliveries
    /// are dispatched and the workers woken if some went to the queue.
    pub(crate) async fn publish(&self, publish: Publish) -> store::Result<Published> {
        let (reply, answer) = oneshot::channel();
        {
            let mut pending = self.publishes.lock();
            pending.publishes.push(publish);
            pending.replies.push(reply);
        }
        self.commit_or_wait(&self.publishes, answer).await
    }

    /// Store an attempt and its delivery's new state in the next batch.
    async fn record_result(&self, record: AttemptRecord) -> store::Result<(bool, Attempt)> {
        let (reply, answer) = oneshot::channel();
        self.results
            .lock()
            .results
            .push(PendingResult { record, reply });
        self.commit_or_wait(&self.results, answer).await
    }

    /// Wait for one of `queue`'s commit turns, unless an earlier committer
    /// commits this write first: then the answer is here and the turn is not
    /// needed.
    async fn commit_or_wait<T>(
        &self,
        queue: &Arc<WriteQueue>,
        mut answer: oneshot::Receiver<store::Result<T>>,
    ) -> store::Result<T> {
        let abandoned = || Err(store::Error::Abandoned);
        let turn = tokio::select! {
            biased;
            answer = &mut answer => return answer.unwrap_or_else(|_| abandoned()),
            turn = queue.turns.clone().acquire_owned() => turn,
        };
        // The semaphore is never closed.
        if let Ok(turn) = turn {
            if let Some(batch) = queue.take() {
                let (this, queue) = (self.clone(), queue.clone());
                tokio::spawn(async move {
                    // Keep the turn while writes keep arriving: handing it to a
                    // waiting caller would cost two task wake-ups per round.
                    let mut batch = Some(batch);
                    while let Some(next) = batch {
                        let size = next.len();
                        this.commit(next).await;
                        queue.gather(size).await;
                        batch = queue.take();
                    }
                    drop(turn);
                });
            }
        }
        answer.await.unwrap_or_else(|_| abandoned())
    }

    /// Commit `batch` in one write (on failure: each publish alone, the
    /// results on their own), then dispatch and answer each write.
    async fn commit(&self, pending: Pending) {
        let Pending {
            mut publishes,
            replies,
            results,
        } = pending;
        let started = std::time::Instant::now();
        let written = self.write(&mut publishes, &results).await;
        tracing::trace!(
            publishes = publishes.len(),
            results = results.len(),
            took_us = started.elapsed().as_micros() as u64,
            "write batch"
        );
        match written {
            Ok((stored, updated)) => {
                for ((publish, reply), stored) in publishes.into_iter().zip(replies).zip(stored) {
                    self.finish(publish, reply, Ok(stored));
                }
                // A final result in a fifo line made the line's next delivery
                // due (in the same write): claim it now, not at the next nap.
                if results.iter().any(|r| r.record.frees_line().is_some()) {
                    self.wake.notify_one();
                }
                answer(results, Ok(updated));
            }
            // Nothing else shared the write: the error is this one's own.
            Err(e) if publishes.is_empty() => answer(results, Err(e)),
            Err(e) if publishes.len() == 1 && results.is_empty() => {
                if let Some((publish, reply)) = publishes.into_iter().zip(replies).next() {
                    self.finish(publish, reply, Err(e));
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, publishes = publishes.len(),
                    "write batch failed; writing each publish alone");
                if !results.is_empty() {
                    let written = self.write(&mut [], &results).await;
                    answer(results, written.map(|(_, updated)| updated));
                }
                for (publish, reply) in publishes.into_iter().zip(replies) {
                    let mut alone = [publish];
                    let written = self.write(&mut alone, &[]).await;
                    let [publish] = alone;
                    let stored = written.and_then(|(stored, _)| {
                        stored.into_iter().next().ok_or_else(|| {
                            store::Error::Corrupt("the store answered no publish".into())
                        })
                    });
                    self.finish(publish, reply, stored);
                }
            }
        }
    }

    /// Fan `publishes` out and write them with `results` in one transaction;
    /// fan out again from fresh lookups while the store finds the webhooks
    /// changed since.
    async fn write(
        &self,
        publishes: &mut [Publish],
        results: &[PendingResult],
    ) -> store::Result<(Vec<Stored>, Vec<bool>)> {
        let mut fresh = false;
        loop {
            let generation = self.fan_out.plan(publishes, fresh).await?;
            let batch = WriteBatch {
                publishes: publishes.iter().map(|p| &p.rows).collect(),
                generation,
                results: results.iter().map(|r| &r.record).collect(),
            };
            match self.store.write(&batch).await? {
                Written::Done { publishes, results } => return Ok((publishes, results)),
                Written::Stale => fresh = true,
            }
        }
    }

    /// Start a committed publish's leased deliveries, wake workers for its
    /// queued ones, count it, and answer the caller (who may have gone away).
    /// A duplicate's or a failed publish's reservation is dropped: its places
    /// go back.
    fn finish(&self, publish: Publish, reply: Reply<Published>, stored: store::Result<Stored>) {
        let published = stored.map(|stored| {
            let Publish {
                rows,
                reservation,
                jobs,
                ..
            } = publish;
            if matches!(stored, Stored::New) {
                metrics::counter!("hookwire_events_published_total").increment(1);
                metrics::counter!("hookwire_deliveries_created_total")
                    .increment(rows.deliveries.len() as u64);
                if let Some(reservation) = reservation {
                    reservation.dispatch(jobs);
                }
                if rows.wake {
                    self.wake.notify_one();
                }
            }
            published(rows, stored)
        });
        let _ = reply.send(published);
    }
}

#[async_trait::async_trait]
impl Recorder for GroupCommit {
    async fn record(&self, record: AttemptRecord) -> Result<(bool, Attempt), store::Error> {
        self.record_result(record).await
    }
}

/// Tell each attempt how its write went (handing it back).
fn answer(results: Vec<PendingResult>, written: store::Result<Vec<bool>>) {
    match written {
        Ok(flags) => {
            for (r, flag) in results.into_iter().zip(flags) {
                let _ = r.reply.send(Ok((flag, r.record.attempt)));
            }
        }
        Err(e) => {
            for r in results {
                let _ = r.reply.send(Err(e.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests;
