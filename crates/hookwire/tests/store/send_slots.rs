//! Send slots of rate-limited webhooks: one row per webhook orders every
//! node's requests (generic cell rate algorithm).

use chrono::TimeDelta;
use hookwire::store::{self, SendSlot};
use hookwire::testing::Backend;

use crate::webhooks::store_with_a_webhook;

hookwire::backend_tests!(
    send_slots_are_one_interval_apart_across_nodes,
    a_webhook_rate_limit_round_trips,
);

async fn send_slots_are_one_interval_apart_across_nodes(b: Backend) {
    let Some((node_a, db, _, w)) = store_with_a_webhook(b).await else {
        return;
    };
    // A second node: its own connections to the same database.
    let node_b = store::open(&db.url).await.unwrap();
    let now = hookwire::clock::now();
    let ms = TimeDelta::milliseconds;
    let interval_us = 100_000;

    let mut slots = Vec::new();
    for node in [&node_a, &node_b, &node_a, &node_b] {
        slots.push(
            node.take_send_slot(&w.id, interval_us, now, None)
                .await
                .unwrap(),
        );
    }
    assert_eq!(
        slots,
        [0, 100, 200, 300].map(|m| SendSlot::At(now + ms(m))),
        "the first at once, then one interval apart, whichever node asks"
    );

    // With a limit on the wait, a slot past it is not taken.
    let latest = Some(now + ms(350));
    assert_eq!(
        node_b
            .take_send_slot(&w.id, interval_us, now, latest)
            .await
            .unwrap(),
        SendSlot::Busy(now + ms(400))
    );
    assert_eq!(
        node_a
            .take_send_slot(&w.id, interval_us, now, latest)
            .await
            .unwrap(),
        SendSlot::Busy(now + ms(400)),
        "nothing was taken by the refusal"
    );

    // After a quiet spell the next request goes at once.
    let later = now + ms(10_000);
    assert_eq!(
        node_a
            .take_send_slot(&w.id, interval_us, later, None)
            .await
            .unwrap(),
        SendSlot::At(later)
    );
}

async fn a_webhook_rate_limit_round_trips(b: Backend) {
    let Some((store, _db, t, mut w)) = store_with_a_webhook(b).await else {
        return;
    };
    assert_eq!(w.rate_limit_per_second, None);
    let read = w.clone();
    w.rate_limit_per_second = Some(25);
    let changes = hookwire::store::WebhookChanges::between(&read, &w);
    assert!(changes.settings.rate_limit);
    store.update_webhook(&w, changes).await.unwrap();
    assert_eq!(
        store
            .webhook(&t, &w.id)
            .await
            .unwrap()
            .unwrap()
            .rate_limit_per_second,
        Some(25)
    );
}
