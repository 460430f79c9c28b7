//! The plain data of the store's one write of events, deliveries and attempt
//! results ([`EventStore::write`](super::EventStore::write)).
//!
//! The pipeline decides everything before it calls the store: which webhooks an
//! event fans out to (read at a known *webhook generation*), which deliveries
//! are leased to this process's worker and until when, which are queued and
//! when they are due. The store only checks that the generation still holds,
//! settles idempotency keys and writes the rows — it never calls back into the
//! pipeline.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Error, Result};
use crate::model::{Attempt, Delivery, Event, FifoKey, Webhook};

use super::AttemptResult;

/// An event and the deliveries it fans out to, ready to insert.
#[derive(Debug, Clone)]
pub struct PublishRows {
    /// The event.
    pub event: Event,
    /// One per matching webhook. A delivery marked
    /// [`leased`](Delivery::leased) is written leased to `lease_owner` until
    /// its `next_attempt_at`; the others are queued, due at theirs.
    pub deliveries: Vec<Delivery>,
    /// The worker the leased deliveries belong to.
    pub lease_owner: Option<Arc<str>>,
    /// An idempotency key used by an event created after this instant makes
    /// the publish a duplicate; an older use frees the key.
    pub dedupe_since: DateTime<Utc>,
    /// Whether committing these rows should wake the workers (PostgreSQL:
    /// every node's, by `NOTIFY`): a delivery is queued and due soon. One
    /// due later is found by a worker's next look anyway.
    pub wake: bool,
}

/// An attempt, its delivery's new state, and the worker whose lease the
/// update requires.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// The lease owner that made the attempt.
    pub owner: Arc<str>,
    /// The attempt, kept as history.
    pub attempt: Attempt,
    /// The delivery's new state, written only while `owner` holds its lease.
    pub result: AttemptResult,
    /// The fifo line the delivery waits in, if its webhook orders them: a
    /// final result makes the line's next delivery due.
    pub fifo_key: Option<FifoKey>,
}

impl AttemptRecord {
    /// The line this result lets go on, if any: a fifo delivery that became
    /// final (delivered, or failed for good).
    pub fn frees_line(&self) -> Option<&FifoKey> {
        self.fifo_key
            .as_ref()
            .filter(|_| self.result.status.is_final())
    }
}

/// One transaction's writes (one group commit).
#[derive(Debug, Default)]
pub struct WriteBatch<'a> {
    /// New events with their deliveries, in order: a later publish sees the
    /// idempotency keys of earlier ones.
    pub publishes: Vec<&'a PublishRows>,
    /// The webhook generation the publishes were fanned out at: unless the
    /// database still reads it, nothing is written ([`Written::Stale`]).
    /// `None`: no condition.
    pub generation: Option<i64>,
    /// Attempt results.
    pub results: Vec<&'a AttemptRecord>,
}

impl WriteBatch<'_> {
    /// The fifo lines this batch touches, each once and in a fixed order
    /// (the order PostgreSQL takes their locks in): those its new deliveries
    /// join and those its final results free. After the rows are in, each
    /// line's first delivery is made due unless one of it already is.
    pub fn fifo_lines(&self) -> BTreeSet<FifoKey> {
        let joined = self
            .publishes
            .iter()
            .flat_map(|p| &p.deliveries)
            .filter_map(Delivery::fifo_key);
        let freed = self.results.iter().filter_map(|r| r.frees_line().cloned());
        joined.chain(freed).collect()
    }

    /// Whether any new delivery goes to the queue, not to a lease (workers
    /// elsewhere need waking). Duplicates may make this a false alarm.
    pub fn queues_work(&self) -> bool {
        self.publishes
            .iter()
            .any(|p| p.deliveries.iter().any(|d| !d.leased))
    }
}

/// What a [`WriteBatch`] did.
#[derive(Debug)]
pub enum Written {
    /// A webhook changed since the publishes were fanned out: nothing was
    /// written. Fan them out again from fresh lookups and retry.
    Stale,
    /// Everything was written.
    Done {
        /// Per publish, in order.
        publishes: Vec<Stored>,
        /// Per result, in order: whether the delivery was updated (false: the
        /// lease was lost, e.g. expired and taken by another node). The
        /// attempt is kept either way, as long as its delivery exists.
        results: Vec<bool>,
    },
}

/// What became of one publish of a [`WriteBatch`].
#[derive(Debug, Clone)]
pub enum Stored {
    /// Its rows are in.
    New,
    /// Its idempotency key was used since `dedupe_since`: nothing of it was
    /// written; this is the earlier event with its deliveries.
    Duplicate(Box<Event>, Vec<Delivery>),
}

/// A webhook lookup's answer and the generation it was read at. The webhooks
/// are shared: a cached answer hands out references, not copies.
#[derive(Debug, Clone)]
pub struct Matched {
    /// The matching active webhooks, by id.
    pub webhooks: Vec<Arc<Webhook>>,
    /// The webhook generation the lookup read (every change to the webhooks
    /// table moves it on, by a trigger).
    pub generation: i64,
}

impl Matched {
    /// The answer of a lookup that left-joins the generation row to the
    /// matching webhooks: each row's generation and its webhook, if the row has
    /// one (no match still returns the generation's row).
    pub(crate) fn from_rows(
        rows: impl IntoIterator<Item = Result<(i64, Option<Webhook>)>>,
    ) -> Result<Self> {
        let mut generation = None;
        let mut webhooks = Vec::new();
        for row in rows {
            let (g, webhook) = row?;
            generation = Some(g);
            webhooks.extend(webhook.map(Arc::new));
        }
        let generation =
            generation.ok_or_else(|| Error::Corrupt("no webhook generation row".into()))?;
        Ok(Self {
            webhooks,
            generation,
        })
    }
}
