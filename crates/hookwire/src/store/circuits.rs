//! The circuit breakers' storage contract: every change is atomic with the
//! queue rows it moves, so any number of nodes share one circuit per webhook.
//! When to ask the store, and each node's view of the circuits, are
//! `delivery/circuit.rs`'s; each backend's statements are its `circuits.rs`.

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};

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

/// A circuit row as the gate reads it: `opened_at`, `next_probe_at`,
/// `open_seconds`.
pub(crate) type GateRow = (Option<DateTime<Utc>>, Option<DateTime<Utc>>, i64);

/// What the gate does, decided once for both backends from the circuit row
/// as read under its lock; each backend then writes what the step says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GateStep {
    /// No circuit, or a closed one.
    Closed,
    /// Open and the probe time has not come: the delivery goes back to the
    /// queue, due then.
    Wait(DateTime<Utc>),
    /// Open and the probe time has come: this delivery probes, and the next
    /// probe (and the webhook's other queued deliveries) moves on to `next`.
    Probe {
        /// One full open period from now.
        next: DateTime<Utc>,
    },
}

impl GateStep {
    /// The step for a circuit row (`opened_at`, `next_probe_at`,
    /// `open_seconds`), or none, at `now`.
    pub(crate) fn of(row: Option<GateRow>, now: DateTime<Utc>) -> Self {
        match row {
            Some((Some(_), Some(probe), _)) if probe > now => Self::Wait(probe),
            Some((Some(_), _, open_seconds)) => Self::Probe {
                next: now + TimeDelta::seconds(open_seconds.max(1)),
            },
            _ => Self::Closed,
        }
    }
}

/// What a failed attempt does, decided once for both backends from the
/// failure count the closed circuit's upsert returned (none: it is open);
/// each backend then writes what the step says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureStep {
    /// Still closed; counted.
    Counted,
    /// The threshold is reached: open for the settings' period, the next
    /// probe at `next`.
    Open {
        /// `now` plus the open period.
        next: DateTime<Utc>,
    },
    /// The failed attempt was the probe: open again for twice the last
    /// period, at most [`MAX_OPEN_SECONDS`](crate::model::MAX_OPEN_SECONDS).
    Reopen,
    /// Open already and the attempt was no probe: nothing changes.
    AlreadyOpen,
}

impl FailureStep {
    /// The step for the count `failures` (none when open), whether the
    /// attempt was the `probe`, under `settings`, at `now`.
    pub(crate) fn of(
        failures: Option<i64>,
        probe: bool,
        settings: CircuitSettings,
        now: DateTime<Utc>,
    ) -> Self {
        match failures {
            Some(n) if n >= i64::from(settings.failure_threshold) => Self::Open {
                next: now + TimeDelta::seconds(i64::from(settings.open_seconds)),
            },
            Some(_) => Self::Counted,
            None if probe => Self::Reopen,
            None => Self::AlreadyOpen,
        }
    }
}
