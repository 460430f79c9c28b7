//! A webhook's circuit breaker, kept over every node: after
//! `circuit_failure_threshold` failed attempts in a row — no answer, or a
//! 5xx ([`receiver_down`]) — its circuit opens and its deliveries wait,
//! unattempted, until a probe may go; the probe's success closes it, its
//! failure opens it again for twice as long (see [`Circuit`] for the states).
//!
//! The state is the store's ([`CircuitStore`](crate::store::CircuitStore)):
//! every node gates and counts through it, under the circuit row's lock.
//! What this module keeps per node is a view of which webhooks have a
//! circuit row and which are open until when ([`Breaker`], re-read every
//! [`REFRESH`]). With it a healthy webhook's attempt pays a map lookup and
//! no statement, and a publish places an open circuit's delivery at the
//! next probe instead of starting it. The view may be stale by one refresh:
//! a circuit another node opened less than [`REFRESH`] ago can let this node
//! start attempts for that long; a success here in that window leaves the
//! failures counted (the next success clears them); and a delivery placed at
//! a probe time just after another node closed the circuit is made due by
//! this node's next two refreshes.
//!
//! This module decides when to ask the store; it must not decide what the
//! answer is (that is the store's, where all nodes see one state), and it
//! sends nothing itself.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use crate::id::WebhookId;
use crate::model::{Attempt, Circuit, CircuitSettings};
use crate::store::{self, CircuitFailure, DynStore, Gate, Job};

/// How often each node re-reads which webhooks have a circuit: the bound on
/// how stale its view is, and the period of the `hookwire_circuit_open`
/// gauge.
pub const REFRESH: Duration = Duration::from_secs(1);

/// One node's side of the breaker: the store's answers, asked only for
/// webhooks that have a circuit row, and the node's view of which circuits
/// are open until when.
pub(crate) struct Breaker {
    /// Where the circuits are kept and changed.
    store: DynStore,
    /// When a circuit opens and for how long.
    settings: CircuitSettings,
    /// This node's view, re-read every [`REFRESH`].
    view: RwLock<View>,
    /// This process's worker's wake-up, for deliveries a close made due.
    wake: Arc<Notify>,
}

/// Which webhooks have a stored circuit, as of the last read, plus what this
/// node itself did since.
#[derive(Default)]
struct View {
    /// Webhook id → the next probe of its open circuit (`None`: closed,
    /// with failures counted).
    circuits: HashMap<WebhookId, Option<DateTime<Utc>>>,
    /// Circuits seen closing, with the probe time their deliveries were
    /// placed at, and how many more refreshes release them (see
    /// [`Breaker::refresh`]).
    closed: Vec<(WebhookId, DateTime<Utc>, u8)>,
}

/// How many refreshes after a close release the deliveries a publish placed
/// at the old probe time with a view that did not yet know of the close.
/// Two: one publish placed just before a refresh may commit just after it.
const RELEASES_AFTER_CLOSE: u8 = 2;

/// Whether `attempt` says its receiver is down: no answer at all (refused,
/// timed out, a failed TLS handshake) or a 5xx. A 4xx is an answer about the
/// request from a receiver that is up — pausing its deliveries would not
/// help it — so, like a success, it ends a run of failures (as consecutive
/// 5xx are what proxies' outlier detection counts).
pub(crate) fn receiver_down(attempt: &Attempt) -> bool {
    attempt.http_status.is_none_or(|status| status >= 500)
}

impl Breaker {
    /// A breaker over `store` with the operator's settings; its view starts
    /// empty and fills at the first [`refresh`](Self::refresh).
    pub(crate) fn new(store: DynStore, settings: CircuitSettings, wake: Arc<Notify>) -> Self {
        Self {
            store,
            settings,
            view: RwLock::new(View::default()),
            wake,
        }
    }

    /// The view for reading; a poisoned lock still holds a usable view (it is only
    /// ever replaced whole).
    fn read(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.view
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The view for changing (see [`Self::read`]).
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether the view has a circuit row for the webhook: only those pay a store
    /// call on success.
    fn knows(&self, webhook_id: &str) -> bool {
        self.read().circuits.contains_key(webhook_id)
    }

    /// When `webhook_id`'s next probe goes, if this node knows its circuit
    /// to be open until after `now`: a publish places its delivery there
    /// instead of starting it. (A circuit closed elsewhere meanwhile: the
    /// delivery is released within [`RELEASES_AFTER_CLOSE`] refreshes.)
    pub(crate) fn open_until(&self, webhook_id: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.read()
            .circuits
            .get(webhook_id)
            .copied()
            .flatten()
            .filter(|probe| *probe > now)
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
    /// Returns the first probe's time when this attempt opened the circuit.
    pub(crate) async fn after(
        &self,
        webhook_id: &str,
        attempt: &Attempt,
        gate: Gate,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, store::Error> {
        if !receiver_down(attempt) {
            if self.knows(webhook_id) {
                self.close(webhook_id, now).await?;
            }
            return Ok(None);
        }
        let probe = gate == Gate::Probe;
        let failure = self
            .store
            .circuit_failed(webhook_id, probe, self.settings, now)
            .await?;
        let open_until = match failure {
            CircuitFailure::Opened(at) | CircuitFailure::Reopened(at) => Some(at),
            CircuitFailure::Counted => None,
            CircuitFailure::AlreadyOpen => self.read().circuits.get(webhook_id).copied().flatten(),
        };
        self.write()
            .circuits
            .insert(WebhookId::from(webhook_id), open_until);
        Ok(match failure {
            CircuitFailure::Opened(next_probe_at) => {
                tracing::warn!(webhook_id, %next_probe_at, "circuit opened");
                metrics::counter!("hookwire_circuit_opened_total").increment(1);
                Some(next_probe_at)
            }
            CircuitFailure::Reopened(next_probe_at) => {
                tracing::info!(webhook_id, %next_probe_at, "circuit probe failed; open again");
                None
            }
            CircuitFailure::Counted | CircuitFailure::AlreadyOpen => None,
        })
    }

    /// Close `webhook_id`'s circuit (a success, a successful test send, the
    /// webhook enabled again): its waiting deliveries are due at `now`, and
    /// those this node's publishes place meanwhile are released by the next
    /// refreshes. `true` when it was open.
    pub(crate) async fn close(
        &self,
        webhook_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, store::Error> {
        let closed = self.store.circuit_succeeded(webhook_id, now).await?;
        let mut view = self.write();
        if let Some(Some(probe)) = view.circuits.remove(webhook_id) {
            view.closed
                .push((WebhookId::from(webhook_id), probe, RELEASES_AFTER_CLOSE));
        }
        if closed {
            tracing::info!(webhook_id, "circuit closed");
            self.wake.notify_one();
        }
        Ok(closed)
    }

    /// Re-read which webhooks have a circuit, and publish how many are open
    /// (`hookwire_circuit_open`). A circuit that was open in the last view
    /// and is not now closed elsewhere: a publish on this node may have
    /// placed a delivery at its probe time after the close swept the queue,
    /// so this refresh and the next make those due.
    pub(crate) async fn refresh(&self) -> Result<(), store::Error> {
        let circuits = self.store.circuits(None).await?;
        let open = circuits.iter().filter(|c| c.is_open()).count();
        metrics::gauge!("hookwire_circuit_open").set(open as f64);
        let fresh: HashMap<WebhookId, Option<DateTime<Utc>>> = circuits
            .into_iter()
            .map(|c: Circuit| (c.webhook_id, c.next_probe_at))
            .collect();
        let releases = {
            let mut view = self.write();
            let gone: Vec<(WebhookId, DateTime<Utc>)> = view
                .circuits
                .iter()
                .filter_map(|(id, probe)| Some((id.clone(), (*probe)?)))
                .filter(|(id, _)| !matches!(fresh.get(id), Some(Some(_))))
                .collect();
            for (id, probe) in gone {
                view.closed.push((id, probe, RELEASES_AFTER_CLOSE));
            }
            view.circuits = fresh;
            // Open again since: the gate holds its deliveries, nothing to release.
            let View { circuits, closed } = &mut *view;
            closed.retain(|(id, _, _)| !matches!(circuits.get(id), Some(Some(_))));
            let releases: Vec<(WebhookId, DateTime<Utc>)> = closed
                .iter()
                .map(|(id, probe, _)| (id.clone(), *probe))
                .collect();
            for entry in closed.iter_mut() {
                entry.2 -= 1;
            }
            closed.retain(|(_, _, left)| *left > 0);
            releases
        };
        let now = crate::clock::now();
        for (webhook_id, probe) in releases {
            if self.store.release_waiting(&webhook_id, probe, now).await? > 0 {
                self.wake.notify_one();
            }
        }
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

    /// A publish on a node whose view still has the circuit open places its
    /// delivery at the probe time even though another node has just closed
    /// it; the node's next refresh makes that delivery due.
    #[tokio::test]
    async fn a_delivery_placed_with_a_stale_view_is_released_at_the_next_refresh() {
        let store = crate::store::open("sqlite::memory:").await.unwrap();
        let hookwire = crate::Hookwire::new(store.clone(), crate::testing::loopback_options());
        let (tenant, _) = hookwire.create_tenant("acme").await.unwrap();
        let draft = crate::model::WebhookDraft {
            url: "http://127.0.0.1:9/hook".into(),
            events: vec!["*".into()],
            ..Default::default()
        };
        let webhook = hookwire.create_webhook(&tenant.id, draft).await.unwrap();
        let settings = CircuitSettings {
            failure_threshold: 1,
            open_seconds: 600,
        };
        let failed = store.circuit_failed(&webhook.id, false, settings, Utc::now());
        let CircuitFailure::Opened(probe) = failed.await.unwrap() else {
            panic!("one failure opens it");
        };
        let breaker = hookwire.breaker();
        breaker.refresh().await.unwrap();
        let ms = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
        assert_eq!(
            ms(breaker.open_until(&webhook.id, Utc::now())),
            ms(Some(probe))
        );

        // Another node's probe closes it; this node has not looked since.
        assert!(store
            .circuit_succeeded(&webhook.id, Utc::now())
            .await
            .unwrap());
        let event = crate::model::NewEvent {
            event_type: "webhook.test".into(),
            data: serde_json::json!({}),
            channel: None,
            id: None,
            ordering_key: None,
        };
        let published = hookwire.publish(&tenant.id, event, None).await.unwrap();
        let id = &published.deliveries[0].id;
        let placed = store.delivery(&tenant.id, id).await.unwrap().unwrap();
        assert_eq!(
            placed.next_attempt_at.map(|t| t.timestamp_millis()),
            Some(probe.timestamp_millis())
        );

        breaker.refresh().await.unwrap();
        let released = store.delivery(&tenant.id, id).await.unwrap().unwrap();
        assert!(
            released.next_attempt_at.is_some_and(|t| t <= Utc::now()),
            "{released:?}"
        );
        assert_eq!(breaker.open_until(&webhook.id, Utc::now()), None);
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
