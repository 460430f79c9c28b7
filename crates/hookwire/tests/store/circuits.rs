//! Circuit breakers: failures counted per webhook, the circuit opened at the
//! threshold with the queue waiting, one probe at a time, and a close that no
//! other node's gate can undo.

use chrono::{DateTime, TimeDelta, Utc};
use hookwire::model::{CircuitSettings, CircuitState};
use hookwire::store::{self, CircuitFailure, DynStore, Gate};
use hookwire::testing::Backend;
use hookwire::DeliveryId;

use crate::fresh_store;

hookwire::backend_tests!(
    a_circuit_opens_at_the_threshold_and_its_queue_waits_for_one_probe,
    a_success_clears_the_failures_and_a_late_failure_changes_nothing,
    no_gate_pushes_a_delivery_past_a_close_on_another_node,
    waiting_deliveries_placed_after_a_close_are_released,
);

const SETTINGS: CircuitSettings = CircuitSettings {
    failure_threshold: 3,
    open_seconds: 60,
};

/// Now, in whole milliseconds: what both backends store exactly.
fn now_ms() -> DateTime<Utc> {
    let now = hookwire::clock::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// How many deliveries are due at `at` (claimed by `owner` for the look, then
/// handed back as they were).
async fn due_at(store: &DynStore, at: DateTime<Utc>) -> usize {
    let jobs = store
        .claim_due("looker", at, at + TimeDelta::seconds(1), 100, &[])
        .await
        .unwrap();
    let ids: Vec<DeliveryId> = jobs.iter().map(|j| j.delivery.id.clone()).collect();
    store.unclaim("looker", &ids, at).await.unwrap();
    ids.len()
}

async fn a_circuit_opens_at_the_threshold_and_its_queue_waits_for_one_probe(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, w) = crate::history::setup(&store).await;
    crate::history::publish_many(&store, &tenant, TimeDelta::zero(), 3).await;
    let now = now_ms();
    let at = |s: i64| now + TimeDelta::seconds(s);

    for _ in 0..2 {
        let counted = store.circuit_failed(&w.id, false, SETTINGS, now).await;
        assert_eq!(counted.unwrap(), CircuitFailure::Counted);
    }
    let circuit = &store.circuits(None).await.unwrap()[0];
    assert_eq!(
        (circuit.failures, circuit.state(now)),
        (2, CircuitState::Closed)
    );
    assert_eq!(
        due_at(&store, now).await,
        3,
        "a closed circuit holds nothing"
    );

    let opened = store.circuit_failed(&w.id, false, SETTINGS, now).await;
    assert_eq!(opened.unwrap(), CircuitFailure::Opened(at(60)));
    assert_eq!(
        due_at(&store, at(59)).await,
        0,
        "the queue waits for the probe"
    );

    // At the probe time every delivery is due; the first gated is the probe,
    // the others go back to wait a full period more.
    let jobs = store
        .claim_due("node", at(60), at(90), 10, &[])
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    let gate = |i: usize| store.circuit_gate(&w.id, &jobs[i].delivery.id, "node", at(60));
    assert_eq!(gate(0).await.unwrap(), Gate::Probe);
    assert_eq!(gate(1).await.unwrap(), Gate::Wait(at(120)));
    assert_eq!(gate(2).await.unwrap(), Gate::Wait(at(120)));
    assert_eq!(
        due_at(&store, at(89)).await,
        0,
        "the probe is leased, the others wait"
    );
    let waiting = store
        .delivery(&tenant, &jobs[1].delivery.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (waiting.attempt_count, waiting.next_attempt_at),
        (0, Some(at(120))),
        "a waiting delivery spends no attempt"
    );

    // The probe fails (its result recorded first, a retry a second later):
    // open twice as long from then, and its retry waits too.
    let retry = store::AttemptResult {
        status: hookwire::model::DeliveryStatus::Retrying,
        next_attempt_at: Some(at(62)),
    };
    let attempt = crate::history::attempt_of(&jobs[0].delivery.id, 503);
    hookwire::testing::record_attempt(&store, "node", &attempt, &retry)
        .await
        .unwrap();
    let reopened = store.circuit_failed(&w.id, true, SETTINGS, at(61)).await;
    assert_eq!(reopened.unwrap(), CircuitFailure::Reopened(at(181)));
    assert_eq!(due_at(&store, at(180)).await, 0);
    let circuit = &store
        .circuits(Some(std::slice::from_ref(&w.id)))
        .await
        .unwrap()[0];
    assert_eq!(
        (
            circuit.opened_at,
            circuit.next_probe_at,
            circuit.open_seconds
        ),
        (Some(now), Some(at(181)), 120)
    );

    // The next probe succeeds: closed, and the waiting deliveries are due at once.
    assert!(store.circuit_succeeded(&w.id, at(182)).await.unwrap());
    assert!(store.circuits(None).await.unwrap().is_empty());
    assert_eq!(
        due_at(&store, at(182)).await,
        3,
        "the probe's retry and both waiting"
    );
    assert_eq!(
        store
            .circuit_gate(&w.id, &jobs[1].delivery.id, "node", at(182))
            .await
            .unwrap(),
        Gate::Closed
    );
}

async fn a_success_clears_the_failures_and_a_late_failure_changes_nothing(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (_tenant, w) = crate::history::setup(&store).await;
    let now = now_ms();
    for _ in 0..2 {
        store
            .circuit_failed(&w.id, false, SETTINGS, now)
            .await
            .unwrap();
    }
    assert!(
        !store.circuit_succeeded(&w.id, now).await.unwrap(),
        "it was closed"
    );
    for _ in 0..2 {
        store
            .circuit_failed(&w.id, false, SETTINGS, now)
            .await
            .unwrap();
    }
    let circuit = &store.circuits(None).await.unwrap()[0];
    assert_eq!(
        circuit.failures, 2,
        "failures in a row, counted from the success"
    );

    store
        .circuit_failed(&w.id, false, SETTINGS, now)
        .await
        .unwrap();
    let before = store.circuits(None).await.unwrap();
    // An attempt that started before the opening fails after it.
    let late = store.circuit_failed(&w.id, false, SETTINGS, now + TimeDelta::seconds(1));
    assert_eq!(late.await.unwrap(), CircuitFailure::AlreadyOpen);
    assert_eq!(store.circuits(None).await.unwrap(), before);
    // Deleting the webhook takes its circuit with it.
    store
        .delete_webhook(w.tenant_id.as_deref().unwrap_or_default(), &w.id)
        .await
        .unwrap();
    assert!(store.circuits(None).await.unwrap().is_empty());
}

/// Node B gates a delivery at the very moment node A's probe closes the
/// circuit. Whichever goes first, the delivery ends up either let through
/// (B saw it closed) or due now — never waiting for a probe that will not
/// come.
async fn no_gate_pushes_a_delivery_past_a_close_on_another_node(b: Backend) {
    let Some((node_a, db)) = fresh_store(b).await else {
        return;
    };
    let node_b = store::open(&db.url).await.unwrap();
    let (tenant, w) = crate::history::setup(&node_a).await;
    for round in 0..20 {
        crate::history::publish_many(&node_a, &tenant, TimeDelta::zero(), 1).await;
        let now = now_ms();
        for _ in 0..SETTINGS.failure_threshold {
            node_a
                .circuit_failed(&w.id, false, SETTINGS, now)
                .await
                .unwrap();
        }
        let probe_at = now + TimeDelta::seconds(60);
        let jobs = node_b
            .claim_due("b", probe_at, probe_at + TimeDelta::seconds(30), 10, &[])
            .await
            .unwrap();
        assert_eq!(jobs.len(), 1, "round {round}");
        let job = &jobs[0];
        // A's probe began before this round's moment; the gate and the close race.
        let closing_at = probe_at - TimeDelta::seconds(30);
        let (gate, closed) = tokio::join!(
            node_b.circuit_gate(
                &w.id,
                &job.delivery.id,
                "b",
                probe_at - TimeDelta::seconds(31)
            ),
            node_a.circuit_succeeded(&w.id, closing_at),
        );
        assert!(closed.unwrap(), "round {round}");
        let d = node_a
            .delivery(&tenant, &job.delivery.id)
            .await
            .unwrap()
            .unwrap();
        match gate.unwrap() {
            Gate::Closed => assert!(d.leased, "round {round}: let through, still B's"),
            Gate::Wait(_) => assert_eq!(
                (d.leased, d.next_attempt_at),
                (false, Some(closing_at)),
                "round {round}: the close made the waiting delivery due"
            ),
            Gate::Probe => panic!("round {round}: no probe was due"),
        }
        // Out of the next round's way: delivered.
        let later = probe_at + TimeDelta::hours(1);
        for job in node_b.claim_due("b", later, later, 10, &[]).await.unwrap() {
            let attempt = crate::history::attempt_of(&job.delivery.id, 200);
            let done = store::AttemptResult {
                status: hookwire::model::DeliveryStatus::Delivered,
                next_attempt_at: None,
            };
            hookwire::testing::record_attempt(&node_b, "b", &attempt, &done)
                .await
                .unwrap();
        }
    }
}

/// A publish that placed its delivery at an open circuit's probe time after
/// the circuit closed (its node had not seen the close yet): releasing the
/// webhook's waiting deliveries makes it due, and leaves alone a retry due
/// later than the probe and another webhook's delivery.
async fn waiting_deliveries_placed_after_a_close_are_released(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, w) = crate::history::setup(&store).await;
    let other = crate::history::another_webhook(&store, &tenant).await;
    crate::history::publish_many(&store, &tenant, TimeDelta::zero(), 2).await;
    let now = now_ms();
    let at = |s: i64| now + TimeDelta::seconds(s);
    // Both webhooks' two deliveries each: w's first placed at the probe
    // (60 s), w's second retrying later (90 s), the other webhook's at 60 s.
    let jobs = store.claim_due("n", now, at(1), 10, &[]).await.unwrap();
    assert_eq!(jobs.len(), 4);
    let mine: Vec<&DeliveryId> = jobs
        .iter()
        .filter(|j| j.webhook.id == w.id)
        .map(|j| &j.delivery.id)
        .collect();
    let others: Vec<DeliveryId> = jobs
        .iter()
        .filter(|j| j.webhook.id == other.id)
        .map(|j| j.delivery.id.clone())
        .collect();
    store
        .unclaim("n", &[mine[0].clone()], at(60))
        .await
        .unwrap();
    store
        .unclaim("n", &[mine[1].clone()], at(90))
        .await
        .unwrap();
    store.unclaim("n", &others, at(60)).await.unwrap();

    assert_eq!(store.release_waiting(&w.id, at(60), now).await.unwrap(), 1);
    let released = store.delivery(&tenant, mine[0]).await.unwrap().unwrap();
    assert_eq!(released.next_attempt_at, Some(now));
    let later = store.delivery(&tenant, mine[1]).await.unwrap().unwrap();
    assert_eq!(
        later.next_attempt_at,
        Some(at(90)),
        "its own retry is later"
    );
    let theirs = store.delivery(&tenant, &others[0]).await.unwrap().unwrap();
    assert_eq!(theirs.next_attempt_at, Some(at(60)), "another webhook's");
}
