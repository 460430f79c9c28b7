//! The circuit breakers' storage contract: every change is atomic with the
//! queue rows it moves, so any number of nodes share one circuit per webhook.
//! When to ask the store, and each node's view of the circuits, are
//! `delivery/circuit.rs`'s; each backend's statements are its `circuits.rs`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{CircuitFailure, Gate, Result};
use crate::id::WebhookId;
use crate::model::{Circuit, CircuitSettings};

/// Circuit breakers, one row per webhook that failed lately (see
/// [`Circuit`]). Every change happens under the circuit row's lock (SQLite:
/// the one writer), together with the queue rows it moves, so nodes agree:
/// a delivery is never pushed back to a probe time after another node's
/// probe closed the circuit, and only one node probes at a time.
#[async_trait]
pub trait CircuitStore: Send + Sync + 'static {
    /// The circuits of `webhook_ids`, or every stored circuit (`None`).
    async fn circuits(&self, webhook_ids: Option<&[WebhookId]>) -> Result<Vec<Circuit>>;
    /// Decide whether `owner` may attempt its leased `delivery_id` now. No
    /// circuit, or a closed one: [`Gate::Closed`]. Open and the probe time
    /// has come: this delivery is the probe ([`Gate::Probe`]) — the next
    /// probe moves a full open period on and the webhook's other queued
    /// deliveries wait until then. Open otherwise: the delivery goes back
    /// to the queue due at the probe time, lease and attempt count
    /// untouched by an attempt ([`Gate::Wait`]).
    async fn circuit_gate(
        &self,
        webhook_id: &str,
        delivery_id: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Gate>;
    /// Count a failed attempt. Closed: one more failure, and at
    /// `settings.failure_threshold` the circuit opens for
    /// `settings.open_seconds` and the webhook's queued deliveries wait
    /// until the probe. A failed probe (`probe`) opens it again for twice
    /// its last period, at most [`MAX_OPEN_SECONDS`](crate::model::MAX_OPEN_SECONDS).
    /// Open and no probe: nothing changes.
    async fn circuit_failed(
        &self,
        webhook_id: &str,
        probe: bool,
        settings: CircuitSettings,
        now: DateTime<Utc>,
    ) -> Result<CircuitFailure>;
    /// A successful attempt: forget the failures and close the circuit;
    /// the deliveries that waited for it are due at `now` (every node's
    /// worker woken). `true` when it was open.
    async fn circuit_succeeded(&self, webhook_id: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Make due at `now` the webhook's queued deliveries that wait until
    /// `until` at the latest (placed at a probe time by a node that had not
    /// yet seen the circuit close), waking every node's worker when there
    /// are any. How many.
    async fn release_waiting(
        &self,
        webhook_id: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64>;
}
