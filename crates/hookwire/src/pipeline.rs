//! The publish→deliver pipeline: everything between "an event was accepted"
//! and "an attempt starts", and the way back for its result.
//!
//! # The life of a publish
//!
//! 1. **Accept** — [`Hookwire::publish`](crate::Hookwire::publish)
//!    (`service/events.rs`) validates the event against the catalog, works
//!    out the webhook filters its type matches, and, when this process runs a
//!    worker (the engine's `LocalWorker`), takes a reservation of places
//!    in its lanes (`handoff.rs`).
//! 2. **Queue for a commit** — the publish joins the pending writes of the
//!    group commit (`group_commit.rs`). Whoever holds a commit turn takes
//!    everything pending: publishes and, where the database serialises
//!    writes anyway (SQLite), the attempt results that arrived meanwhile.
//! 3. **Fan out** — `fan_out.rs` finds the active webhooks whose event-type
//!    filters and channels admit the event (from the `webhook_cache.rs`
//!    cache, or one lookup per tenant, type and channel), keeps those whose
//!    payload filter, if any, passes on the body they would get, and makes
//!    one delivery row per webhook. A webhook whose circuit this node knows
//!    to be open gets its row *queued*, due at the circuit's next probe
//!    (`delivery/circuit.rs`). The reservation places the others: *leased*
//!    to this process's worker when the webhook's lane has room
//!    (`lanes.rs`), else *queued*, due when the lane has likely drained.
//! 4. **Write** — one [`EventStore::write`](crate::store::EventStore::write)
//!    per batch: events, deliveries and results in one transaction, one
//!    durable commit. The store writes nothing if a webhook changed since the
//!    fan-out (the *webhook generation* moved on): the batch is fanned out
//!    again from fresh lookups. A repeated idempotency key makes the publish
//!    a duplicate and gives its places back.
//! 5. **Hand off** — after the commit, the group commit hands the leased
//!    jobs to the worker (`handoff.rs` → `lanes.rs`), which starts them at
//!    once; if some deliveries were queued it wakes the workers (in this
//!    process directly, on other nodes through PostgreSQL `NOTIFY`, sent by
//!    the write).
//! 6. **Claim** — everything not handed off (queued deliveries, retries, a
//!    crashed node's leases) is claimed from the store by some node's worker
//!    (`worker.rs` runs the loop, `worker/claim.rs` one round): due rows,
//!    oldest first, leased in batches up to the free capacity.
//! 7. **Attempt** — each job runs in a task of its own. A webhook with a
//!    circuit row asks the store first (the circuit breaker's gate: closed,
//!    this delivery is the probe, or wait — back to the queue, unattempted);
//!    then [`delivery::attempt`](crate::delivery::attempt) signs
//!    ([`signer`](crate::signer)), sends it through the SSRF-guarded client
//!    ([`delivery::http`](crate::delivery::http)), and decides what follows
//!    (`model/retry.rs`): delivered, retry at, failed,
//!    or the webhook disabled.
//! 8. **Record** — the result goes back into the group commit (step 2) and
//!    is written with the next batch, releasing the lease; a retry it
//!    schedules wakes this worker when it is due. Then the circuit breaker
//!    counts it: a receiver found down once more may open the circuit, and
//!    one found up closes it.
//!
//! # What this module must not do
//!
//! Hold SQL, or state only one process knows beyond its own worker's
//! capacity: the store is the one place where work is shared, so any number
//! of nodes on one PostgreSQL behave as one service.

mod fan_out;
mod group_commit;
pub(crate) mod handoff;
mod lanes;
mod webhook_cache;
pub mod worker;

pub use fan_out::publish_batch;
pub(crate) use fan_out::{FilterBody, Publish};
pub(crate) use group_commit::GroupCommit;
pub use worker::{Heartbeat, Worker, WorkerOptions, DEAD_AFTER_HEARTBEATS};
