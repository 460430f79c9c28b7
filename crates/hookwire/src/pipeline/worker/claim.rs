//! One claim round: lease as many due deliveries as the worker has room for,
//! skipping webhooks whose lane is full, and hand back what no lane admits.
//! The SQL is the store's (`claim_due`, `unclaim`); this file decides how many
//! and what to skip, and says what the round found so the loop can choose
//! between claiming again and napping.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::TimeDelta;

use super::Worker;
use crate::id::DeliveryId;
use crate::{clock, store};

/// What one claim round found.
pub(super) struct Claimed {
    /// Jobs claimed.
    pub(super) count: usize,
    /// Capacity, not the queue, limited the claim.
    pub(super) limited: bool,
    /// Global permits were what ran short.
    pub(super) short_of_permits: bool,
    /// The queue held fewer due jobs than the claim asked for.
    pub(super) drained: bool,
}

impl Worker {
    /// Claim as many due jobs as there are free permits (at most a batch),
    /// skipping webhooks whose lane is full. A job whose lane filled up meanwhile
    /// goes back to the queue, due when that lane has likely drained.
    pub(super) async fn claim(&self) -> Result<Claimed, store::Error> {
        let s = &self.shared;
        let batch = s.options.batch_size as usize;
        let free = s.lanes.free_permits().min(batch);
        let skip = s.lanes.full();
        let short_of_permits = free < batch;
        let limited = short_of_permits || !skip.is_empty();
        if free == 0 {
            tracing::trace!(skipped = skip.len(), "claim: no free permit");
            return Ok(Claimed {
                count: 0,
                limited,
                short_of_permits,
                drained: false,
            });
        }
        let now = clock::now();
        let lease = TimeDelta::from_std(s.options.lease).unwrap_or(TimeDelta::seconds(90));
        let lease_ends = Instant::now() + s.options.lease;
        let jobs = s
            .store
            .claim_due(&s.owner, now, now + lease, free as u32, &skip)
            .await?;
        let count = jobs.len();
        tracing::trace!(free, skipped = skip.len(), claimed = count, "claim");
        let mut back: BTreeMap<Duration, Vec<DeliveryId>> = BTreeMap::new();
        for job in jobs {
            match s.lanes.admit(job, lease_ends) {
                Ok(starts) => self.start(starts),
                Err((id, wait)) => back.entry(wait).or_default().push(id),
            }
        }
        for (wait, ids) in back {
            let due = now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::zero());
            s.store.unclaim(&s.owner, &ids, due).await?;
        }
        Ok(Claimed {
            count,
            limited,
            short_of_permits,
            drained: count < free,
        })
    }
}
