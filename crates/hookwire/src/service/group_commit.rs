//! Group commit of publishes: the publishes that arrive while a commit is in
//! flight are stored together in the next transaction, so a burst of N costs
//! one durable commit (one fsync) instead of N.
//!
//! There is no timer and no batching delay. A publish joins the pending list and
//! waits for one of `concurrency` commit slots — or for its answer, when an
//! earlier slot holder took it along; whoever gets a slot takes every pending
//! publish and commits them in a task of its own, so a caller that goes away (an HTTP
//! client hanging up) never abandons the others' publishes halfway. When the
//! batch fails as a whole — one bad publish rolls back all — each publish is
//! retried alone, so one failure never becomes another publish's error.
//!
//! After the commit, the same task hands the leased deliveries to the worker
//! (direct dispatch) and wakes the queue's workers; the caller only gets its
//! result.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, Notify, Semaphore};

use crate::delivery::Reservation;
use crate::model::Event;
use crate::store::{self, DirectClaim, DynStore, PublishRequest, Published};

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

type Reply = oneshot::Sender<store::Result<Published>>;

/// The pending publishes of one engine and the slots to commit them.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    pending: Arc<Mutex<Vec<(Publish, Reply)>>>,
    slots: Arc<Semaphore>,
}

impl GroupCommit {
    /// At most `concurrency` batches commit at once.
    pub(crate) fn new(concurrency: usize) -> Self {
        Self {
            pending: Arc::default(),
            slots: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Store `publish` in the next batch; after its commit its leased deliveries
    /// are dispatched and `wake` is notified if some went to the queue.
    pub(crate) async fn publish(
        &self,
        store: &DynStore,
        wake: &Arc<Notify>,
        publish: Publish,
    ) -> store::Result<Published> {
        let (reply, mut result) = oneshot::channel();
        self.lock().push((publish, reply));
        let abandoned = || Err(store::Error::Batch("publish batch abandoned".into()));
        // Wait for a commit slot, unless an earlier slot holder commits this
        // publish first: then the answer is here and the slot is not needed.
        let slot = tokio::select! {
            biased;
            answer = &mut result => return answer.unwrap_or_else(|_| abandoned()),
            slot = self.slots.clone().acquire_owned() => slot,
        };
        // The semaphore is never closed.
        if let Ok(slot) = slot {
            let batch = std::mem::take(&mut *self.lock());
            if !batch.is_empty() {
                let (store, wake) = (store.clone(), wake.clone());
                tokio::spawn(async move {
                    commit(&store, &wake, batch).await;
                    drop(slot);
                });
            }
        }
        result.await.unwrap_or_else(|_| abandoned())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Publish, Reply)>> {
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Commit `batch` in one transaction (each alone if that fails), then dispatch
/// and answer each publish.
async fn commit(store: &DynStore, wake: &Notify, batch: Vec<(Publish, Reply)>) {
    if batch.len() > 1 {
        let requests: Vec<PublishRequest<'_>> = batch.iter().map(|(p, _)| p.request()).collect();
        let started = std::time::Instant::now();
        let results = store.publish_batch(&requests).await;
        drop(requests);
        tracing::trace!(
            publishes = batch.len(),
            took_us = started.elapsed().as_micros() as u64,
            "publish batch"
        );
        match results {
            Ok(results) => {
                for ((publish, reply), published) in batch.into_iter().zip(results) {
                    finish(wake, publish, reply, Ok(published));
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, publishes = batch.len(),
                    "publish batch failed; storing each alone");
            }
        }
    }
    for (publish, reply) in batch {
        if let Some(r) = &publish.reservation {
            // Places taken by the rolled-back batch.
            r.release();
        }
        let r = publish.request();
        let result = store
            .publish(r.event, r.patterns, r.dedupe_since, r.direct)
            .await;
        finish(wake, publish, reply, result);
    }
}

/// Start a committed publish's leased deliveries, wake workers for its queued
/// ones, count it, and answer the caller (who may have gone away).
fn finish(wake: &Notify, publish: Publish, reply: Reply, result: store::Result<Published>) {
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
                wake.notify_one();
            }
        }
        published
    });
    let _ = reply.send(result);
}
