//! A webhook's circuit breaker, kept over every node: after
//! `circuit_failure_threshold` failed attempts in a row — no answer, or a
//! 5xx ([`receiver_down`]) — its circuit opens and its deliveries wait,
//! unattempted, until a probe may go; the probe's
//! success closes it, its failure opens it again for twice as long (see
//! [`Circuit`] for the states).
//!
//! The state is the store's ([`CircuitStore`]): every node gates and counts
//! through it, under the circuit row's lock. What this module keeps per node
//! is only which webhooks have a circuit row at all ([`Breaker`]'s view,
//! re-read every [`REFRESH`]), so a healthy webhook's attempt pays a set
//! lookup and no statement. The view may be stale by up to one refresh: a
//! circuit another node opened less than [`REFRESH`] ago can let this node
//! start attempts for that long, and a success here in that window leaves
//! the failures counted (the next success clears them).
//!
//! This module decides when to ask the store; it must not decide what the
//! answer is (that is the store's, where all nodes see one state), and it
//! sends nothing itself.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::model::{Attempt, Circuit, CircuitSettings};
use crate::store::{self, CircuitFailure, DynStore, Gate, Job};

/// How often each node re-reads which webhooks have a circuit: the bound on
/// how stale its view is, and the period of the `hookwire_circuit_open`
/// gauge.
pub const REFRESH: Duration = Duration::from_secs(1);

/// One node's side of the breaker: the store's answers, asked only for
/// webhooks that have a circuit row.
pub(crate) struct Breaker {
    store: DynStore,
    settings: CircuitSettings,
    /// Webhooks with a stored circuit, as of the last read, plus those this
    /// node counted a failure for since.
    known: RwLock<HashSet<String>>,
}

/// Whether `attempt` says its receiver is down: no answer at all (refused,
/// timed out, a failed TLS handshake) or a 5xx. A 4xx is an answer about the
/// request from a receiver that is up — pausing its deliveries would not
/// help it — so, like a success, it ends a run of failures (as consecutive
/// 5xx are what proxies' outlier detection counts).
pub(crate) fn receiver_down(attempt: &Attempt) -> bool {
    attempt.http_status.is_none_or(|status| status >= 500)
}

/// What an attempt's outcome did to its webhook's circuit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Outcome {
    /// This failure opened the circuit; the first probe may go then.
    pub(crate) opened: Option<DateTime<Utc>>,
    /// This success closed an open circuit: its waiting deliveries are due.
    pub(crate) closed: bool,
}

impl Breaker {
    /// A breaker over `store` with the operator's settings; its view starts
    /// empty and fills at the first [`refresh`](Self::refresh).
    pub(crate) fn new(store: DynStore, settings: CircuitSettings) -> Self {
        Self {
            store,
            settings,
            known: RwLock::new(HashSet::new()),
        }
    }

    fn knows(&self, webhook_id: &str) -> bool {
        self.known
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(webhook_id)
    }

    /// May `owner` attempt `job` now? Asks the store only when the webhook
    /// has a circuit (a disabled webhook's delivery fails without a request,
    /// so it never waits). On [`Gate::Wait`] the store has already sent the
    /// delivery back to the queue.
    pub(crate) async fn gate(
        &self,
        job: &Job,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<Gate, store::Error> {
        if !job.webhook.is_active || !self.knows(&job.webhook.id) {
            return Ok(Gate::Closed);
        }
        self.store
            .circuit_gate(&job.webhook.id, &job.delivery.id, owner, now)
            .await
    }

    /// Count `attempt` of a delivery `gate` let through: a sign that the
    /// receiver is down ([`receiver_down`]) is counted and may open the
    /// circuit; any other answer shows it is up, and closes a circuit this
    /// node knows of. A webhook without a circuit row pays nothing for that.
    pub(crate) async fn after(
        &self,
        webhook_id: &str,
        attempt: &Attempt,
        gate: Gate,
        now: DateTime<Utc>,
    ) -> Result<Outcome, store::Error> {
        if !receiver_down(attempt) {
            if !self.knows(webhook_id) {
                return Ok(Outcome::default());
            }
            let closed = self.store.circuit_succeeded(webhook_id, now).await?;
            self.forget(webhook_id);
            if closed {
                tracing::info!(webhook_id, "circuit closed");
            }
            return Ok(Outcome {
                opened: None,
                closed,
            });
        }
        let probe = gate == Gate::Probe;
        let failure = self
            .store
            .circuit_failed(webhook_id, probe, self.settings, now)
            .await?;
        self.known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(webhook_id.to_owned());
        Ok(match failure {
            CircuitFailure::Opened(next_probe_at) => {
                tracing::warn!(webhook_id, %next_probe_at, "circuit opened");
                metrics::counter!("hookwire_circuit_opened_total").increment(1);
                Outcome {
                    opened: Some(next_probe_at),
                    closed: false,
                }
            }
            CircuitFailure::Reopened(next_probe_at) => {
                tracing::info!(webhook_id, %next_probe_at, "circuit probe failed; open again");
                Outcome::default()
            }
            CircuitFailure::Counted | CircuitFailure::AlreadyOpen => Outcome::default(),
        })
    }

    /// Close `webhook_id`'s circuit by hand (a successful test send, the
    /// webhook enabled again): its waiting deliveries are due at `now`.
    pub(crate) async fn close(
        &self,
        webhook_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, store::Error> {
        let closed = self.store.circuit_succeeded(webhook_id, now).await?;
        self.forget(webhook_id);
        Ok(closed)
    }

    fn forget(&self, webhook_id: &str) {
        self.known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(webhook_id);
    }

    /// Re-read which webhooks have a circuit, and publish how many are open
    /// (`hookwire_circuit_open`).
    pub(crate) async fn refresh(&self) -> Result<(), store::Error> {
        let circuits = self.store.circuits(None).await?;
        let open = circuits.iter().filter(|c| c.is_open()).count();
        metrics::gauge!("hookwire_circuit_open").set(open as f64);
        let known = circuits
            .into_iter()
            .map(|c: Circuit| c.webhook_id)
            .collect();
        *self
            .known
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = known;
        Ok(())
    }

    /// [`refresh`](Self::refresh) every [`REFRESH`] for as long as the
    /// future lives (the worker holds it while it runs).
    pub(crate) async fn keep_fresh(self: Arc<Self>) {
        let mut every = tokio::time::interval(REFRESH);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "reading circuit breakers failed; retrying");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: Option<u16>) -> Attempt {
        Attempt {
            id: "at_1".into(),
            delivery_id: "dl_1".into(),
            attempt_number: 1,
            started_at: Utc::now(),
            duration_ms: 1,
            http_status: status,
            error_kind: status.is_none().then(|| "connect".into()),
            error_message: None,
            request_headers: Default::default(),
            response_headers: Default::default(),
            response_body: None,
        }
    }

    #[test]
    fn no_answer_and_5xx_count_as_down_and_any_other_answer_as_up() {
        for down in [None, Some(500), Some(502), Some(503)] {
            assert!(receiver_down(&answered(down)), "{down:?}");
        }
        for up in [200, 204, 301, 400, 404, 410, 422, 429] {
            assert!(!receiver_down(&answered(Some(up))), "{up}");
        }
    }
}
