//! Worker heartbeats: the leases of a worker that fell silent (a killed
//! process cannot release its own) are taken back by a live one.

use chrono::TimeDelta;
use hookwire::clock;
use hookwire::testing::Backend;

use crate::fresh_store;

hookwire::backend_tests!(a_silent_workers_leases_are_taken_back_by_a_live_one);

async fn a_silent_workers_leases_are_taken_back_by_a_live_one(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _webhook) = crate::history::setup(&store).await;
    crate::history::publish_many(&store, &tenant, TimeDelta::zero(), 3).await;
    let now = clock::now();
    let at = |s| now + TimeDelta::seconds(s);
    // A heartbeat at `s` seconds: workers silent for 30 s are dead, leases
    // end within 90 s.
    let beat = |owner: &'static str, s: i64| {
        let store = store.clone();
        async move {
            store
                .heartbeat(owner, at(s), at(s - 30), at(s + 90))
                .await
                .unwrap()
        }
    };

    assert_eq!(beat("dead", 0).await, 0);
    assert_eq!(
        store
            .claim_due("dead", now, at(90), 2, &[])
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(beat("busy", 0).await, 0);
    let busy = store.claim_due("busy", now, at(90), 2, &[]).await.unwrap();
    assert_eq!(busy.len(), 1);
    assert_eq!(beat("live", 0).await, 0, "nobody is silent yet");

    // At 40 s "dead" has been silent for 40 s, "busy" beat at 25 s.
    assert_eq!(beat("busy", 25).await, 0, "silent for 25 s is not dead yet");
    assert_eq!(beat("live", 40).await, 2, "the silent worker's two leases");
    let retaken = store
        .claim_due("live", at(40), at(130), 10, &[])
        .await
        .unwrap();
    assert_eq!(retaken.len(), 2, "due again at once, not at 90 s");
    assert!(
        retaken.iter().all(|j| j.delivery.id != busy[0].delivery.id),
        "the busy worker keeps its lease"
    );
    assert_eq!(beat("live", 41).await, 0, "the silent worker is forgotten");
    assert_eq!(beat("busy", 41).await, 0, "a live worker's own leases stay");
}
