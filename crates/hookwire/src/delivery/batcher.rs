//! Group commit of attempt results: each attempt hands its result over and
//! waits; one task writes whatever arrived while the previous write was in flight
//! in a single transaction. Under load that turns one durable commit per
//! delivery into one per batch.

use tokio::sync::{mpsc, oneshot};

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
    /// Start the writer task (needs a Tokio runtime).
    pub(crate) fn start(store: DynStore, owner: String) -> Self {
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
