//! Group commit of attempt results: each attempt hands its result over and
//! waits; a writer task writes whatever arrived while the previous write was in
//! flight in a single transaction (one writer on SQLite, two on PostgreSQL).
//! Under load that turns one durable commit per delivery into one per batch.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

use super::attempt::Recorder;
use crate::model::Attempt;
use crate::store::{self, AttemptResult, DynStore};

/// Most results written in one transaction.
const MAX_RESULT_BATCH: usize = 256;

/// A result waiting to be written, and where to report how that went.
struct PendingResult {
    attempt: Attempt,
    result: AttemptResult,
    reply: oneshot::Sender<Result<bool, String>>,
}

/// The result writer of one worker.
pub(crate) struct Batcher {
    queue: mpsc::UnboundedSender<PendingResult>,
}

impl Batcher {
    /// Start the writer tasks, as many as the store can usefully run at once
    /// (needs a Tokio runtime).
    pub(crate) fn start(store: DynStore, owner: String) -> Self {
        let (queue, rx) = mpsc::unbounded_channel::<PendingResult>();
        let rx = Arc::new(Mutex::new(rx));
        // Half the store's write concurrency: measured on PostgreSQL, 4 writers
        // made batches small (1 webhook −40 %), 1 could not keep up with ten
        // webhooks; 2 sit between.
        for _ in 0..store.write_concurrency().div_ceil(2) {
            let (store, owner, rx) = (store.clone(), owner.clone(), rx.clone());
            tokio::spawn(async move {
                while let Some(batch) = next_batch(&rx).await {
                    write(&store, &owner, batch).await;
                }
            });
        }
        Self { queue }
    }
}

/// Wait for a result, then take whatever else is queued (at most a batch).
/// `None` once the worker is gone.
async fn next_batch(
    rx: &Mutex<mpsc::UnboundedReceiver<PendingResult>>,
) -> Option<Vec<PendingResult>> {
    let mut rx = rx.lock().await;
    let first = rx.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_RESULT_BATCH {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// Write one batch in one transaction and tell each attempt how it went.
async fn write(store: &DynStore, owner: &str, batch: Vec<PendingResult>) {
    let (results, replies): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|p| ((p.attempt, p.result), p.reply))
        .unzip();
    let started = std::time::Instant::now();
    let written = store.record_attempts(owner, &results).await;
    tracing::trace!(
        results = results.len(),
        took_us = started.elapsed().as_micros() as u64,
        "result batch"
    );
    match written {
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
