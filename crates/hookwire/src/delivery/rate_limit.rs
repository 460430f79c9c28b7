//! A webhook's requests-per-second limit (`rate_limit_per_second`), kept over
//! every node: before each request, the sender takes the webhook's next send
//! slot from the store and waits for it.
//!
//! It owns the pacing rule; the slots themselves are the store's
//! ([`take_send_slot`](crate::store::QueueStore::take_send_slot)) so every node shares one
//! limit, and it never drops a delivery: a request over the limit waits or goes
//! back to the queue.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::clock;
use crate::model::Webhook;
use crate::store::{self, DynStore, SendSlot};

/// How far ahead a worker takes a slot and waits for it. A queued delivery
/// whose slot would be later goes back to the queue instead, due at the first
/// free slot, so a waiting delivery never holds a place in its lane for long; the
/// lanes keep this much more of a lease in reserve for a limited webhook's
/// attempts ([`longest_attempt`]).
pub(crate) const MAX_SLOT_WAIT: Duration = Duration::from_secs(20);

/// The longest an attempt to `webhook` may take once started: its timeout,
/// plus the longest wait for a send slot when it has a rate limit (what the
/// lanes keep in reserve of a lease before starting an attempt).
pub(crate) fn longest_attempt(webhook: &Webhook) -> Duration {
    let timeout = Duration::from_secs(u64::from(webhook.timeout_seconds));
    match webhook.rate_limit_per_second {
        Some(_) => timeout + MAX_SLOT_WAIT,
        None => timeout,
    }
}

/// When the request may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Turn {
    /// Now: the webhook has no limit, or its slot has come.
    Now,
    /// Not before this time; nothing was taken.
    Later(DateTime<Utc>),
}

/// Take `webhook`'s next send slot and sleep until it, if the webhook has a
/// limit (a disabled webhook sends nothing, so takes nothing). With
/// `max_wait`, a slot further away is not taken: [`Turn::Later`].
pub(crate) async fn wait_turn(
    store: &DynStore,
    webhook: &Webhook,
    max_wait: Option<Duration>,
) -> Result<Turn, store::Error> {
    let Some(rate) = webhook.rate_limit_per_second.filter(|_| webhook.is_active) else {
        return Ok(Turn::Now);
    };
    let interval_us = 1_000_000 / i64::from(rate.max(1));
    let now = clock::now();
    let latest = max_wait.map(|w| now + TimeDelta::from_std(w).unwrap_or(TimeDelta::MAX));
    match store
        .take_send_slot(&webhook.id, interval_us, now, latest)
        .await?
    {
        SendSlot::At(at) => {
            if let Ok(wait) = (at - clock::now()).to_std() {
                tokio::time::sleep(wait).await;
            }
            Ok(Turn::Now)
        }
        SendSlot::Busy(free) => Ok(Turn::Later(free)),
    }
}
