//! One write of several publishes: one transaction, all or none.

use chrono::TimeDelta;
use hookwire::clock;
use hookwire::model::{DeliveryStatus, Event, NewEvent};
use hookwire::store::{AttemptResult, DynStore};
use hookwire::testing::Backend;
use hookwire::TenantId;

use crate::fresh_store;

hookwire::backend_tests!(
    a_batch_stores_each_publish_and_sees_its_own_idempotency_keys,
    a_batch_with_one_bad_publish_stores_nothing,
    a_batch_fans_each_event_out_to_its_own_tenants_webhooks,
    a_result_batch_updates_only_deliveries_still_leased_but_keeps_every_attempt,
    each_batch_fans_out_to_the_webhooks_as_they_are_now,
    a_webhook_added_through_another_node_gets_the_next_batchs_deliveries,
    releasing_leases_frees_those_in_force_and_leaves_expired_ones_due,
);

fn event(tenant: &TenantId, key: Option<&str>) -> Event {
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({ "k": key }),
        channel: None,
        id: key.map(str::to_owned),
        ordering_key: None,
    };
    Event::from_new(tenant, new, None, |_| true).unwrap()
}

async fn batch(store: &DynStore, events: &[Event]) -> hookwire::store::Result<Vec<bool>> {
    let patterns = vec!["*".to_owned()];
    let since = clock::now() - TimeDelta::hours(24);
    let requests = events
        .iter()
        .map(|e| (e.clone(), patterns.clone()))
        .collect();
    let published = hookwire::pipeline::publish_batch(store, requests, since).await?;
    Ok(published.iter().map(|p| p.duplicate).collect())
}

async fn a_batch_stores_each_publish_and_sees_its_own_idempotency_keys(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _webhook) = crate::history::setup(&store).await;
    let events = [
        event(&tenant, Some("order-1")),
        event(&tenant, None),
        event(&tenant, Some("order-1")),
    ];
    let duplicates = batch(&store, &events).await.expect("batch");
    assert_eq!(
        duplicates,
        [false, false, true],
        "the third repeats the first's key"
    );
    for e in &events[..2] {
        assert!(store.event(&tenant, &e.id).await.unwrap().is_some());
        assert_eq!(store.deliveries_of_event(&e.id).await.unwrap().len(), 1);
    }
    assert_eq!(store.event(&tenant, &events[2].id).await.unwrap(), None);
}

async fn a_batch_with_one_bad_publish_stores_nothing(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _webhook) = crate::history::setup(&store).await;
    // An event of a tenant that does not exist breaks a foreign key.
    let events = [event(&tenant, None), event(&"ten_missing".into(), None)];
    assert!(batch(&store, &events).await.is_err());
    assert_eq!(store.event(&tenant, &events[0].id).await.unwrap(), None);
    assert!(store
        .deliveries_of_event(&events[0].id)
        .await
        .unwrap()
        .is_empty());
}

async fn a_batch_fans_each_event_out_to_its_own_tenants_webhooks(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (acme, acme_hook) = crate::history::setup(&store).await;
    let (umbrella, umbrella_hook) = crate::history::setup(&store).await;
    let events: Vec<Event> = (0..6)
        .map(|n| event(if n % 2 == 0 { &acme } else { &umbrella }, None))
        .collect();
    batch(&store, &events).await.expect("batch");
    for e in &events {
        let deliveries = store.deliveries_of_event(&e.id).await.unwrap();
        let expected = if e.tenant_id == acme {
            &acme_hook.id
        } else {
            &umbrella_hook.id
        };
        assert_eq!(deliveries.len(), 1);
        assert_eq!(&deliveries[0].webhook_id, expected);
        assert_eq!(deliveries[0].tenant_id, e.tenant_id);
    }
    assert_ne!(acme, umbrella);
}

async fn a_result_batch_updates_only_deliveries_still_leased_but_keeps_every_attempt(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _webhook) = crate::history::setup(&store).await;
    crate::history::publish_many(&store, &tenant, TimeDelta::zero(), 3).await;
    let now = clock::now();
    let jobs = store
        .claim_due("w", now, now + TimeDelta::seconds(60), 3, &[])
        .await
        .unwrap();
    assert_eq!(jobs.len(), 3);
    // The third delivery's lease expired and another node took it over.
    let stolen = &jobs[2].delivery.id;
    store.release_leases(Some("w"), now).await.unwrap();
    let retaken = store
        .claim_due("other", now, now + TimeDelta::seconds(60), 3, &[])
        .await
        .unwrap();
    assert_eq!(retaken.len(), 3);
    // Give "w" back the first two, as if only the third had changed hands.
    let mut results = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        let mut attempt = crate::history::attempt_of(&job.delivery.id, 200);
        attempt.response_body = Some(format!("body {i}"));
        results.push((
            attempt,
            AttemptResult {
                status: DeliveryStatus::Delivered,
                next_attempt_at: None,
            },
        ));
    }
    hookwire::testing::record_attempts(&store, "other", &results[..2])
        .await
        .expect("the other node records the first two");
    let mut third = results[2].clone();
    third.0.id = hookwire::id::new_id(hookwire::id::ATTEMPT);
    third.0.attempt_number = 2;
    let flags = hookwire::testing::record_attempts(&store, "w", &[third.clone()])
        .await
        .expect("a lost lease is not an error");
    assert_eq!(flags, [false], "the delivery is no longer leased to w");
    let flags = hookwire::testing::record_attempts(&store, "other", &[results[2].clone()])
        .await
        .unwrap();
    assert_eq!(flags, [true]);
    for (i, job) in jobs.iter().enumerate() {
        let d = store
            .delivery(&tenant, &job.delivery.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d.status, DeliveryStatus::Delivered, "delivery {i}");
        assert_eq!(d.last_http_status, Some(200));
        let attempts = store.attempts(&job.delivery.id).await.unwrap();
        let expected = if &job.delivery.id == stolen { 2 } else { 1 };
        assert_eq!(attempts.len(), expected, "attempts of delivery {i}");
        assert_eq!(
            attempts[0].response_body.as_deref(),
            Some(format!("body {i}").as_str())
        );
    }
}

/// How many deliveries one publish through `node`'s engine creates: its
/// group commit keeps the webhook lookups between publishes.
async fn fan_out(node: &hookwire::Hookwire, tenant: &TenantId) -> usize {
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({}),
        channel: None,
        id: None,
        ordering_key: None,
    };
    let published = node.publish(tenant, new, None).await.expect("publish");
    let stored = node.store().deliveries_of_event(&published.event.id);
    let stored = stored.await.unwrap().len();
    assert_eq!(stored, published.deliveries.len());
    stored
}

fn engine(store: &DynStore) -> hookwire::Hookwire {
    hookwire::Hookwire::new(store.clone(), hookwire::testing::loopback_options())
}

/// Batches reuse webhook lookups between publishes; a change to the webhooks
/// must still show in the very next batch.
async fn each_batch_fans_out_to_the_webhooks_as_they_are_now(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, mut webhook) = crate::history::setup(&store).await;
    let node = engine(&store);
    assert_eq!(fan_out(&node, &tenant).await, 1);
    assert_eq!(fan_out(&node, &tenant).await, 1, "from the cache");

    webhook.is_active = false;
    assert!(store
        .update_webhook(&webhook, crate::webhook_updates::ACTIVITY)
        .await
        .unwrap()
        .is_some());
    assert_eq!(fan_out(&node, &tenant).await, 0, "disabled");

    let second = crate::history::another_webhook(&store, &tenant).await;
    assert_eq!(fan_out(&node, &tenant).await, 1, "created");

    assert!(store.delete_webhook(&tenant, &second.id).await.unwrap());
    assert_eq!(fan_out(&node, &tenant).await, 0, "deleted");
}

async fn a_webhook_added_through_another_node_gets_the_next_batchs_deliveries(b: Backend) {
    let Some((store, db)) = fresh_store(b).await else {
        return;
    };
    let other_node = hookwire::store::open(&db.url).await.expect("second store");
    let (tenant, _webhook) = crate::history::setup(&store).await;
    let (node, other) = (engine(&store), engine(&other_node));
    assert_eq!(fan_out(&node, &tenant).await, 1);
    assert_eq!(fan_out(&other, &tenant).await, 1);

    crate::history::another_webhook(&other_node, &tenant).await;
    assert_eq!(fan_out(&node, &tenant).await, 2, "not from the stale cache");
}

async fn releasing_leases_frees_those_in_force_and_leaves_expired_ones_due(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _webhook) = crate::history::setup(&store).await;
    crate::history::publish_many(&store, &tenant, TimeDelta::zero(), 2).await;
    let now = clock::now();
    let at = |s| now + TimeDelta::seconds(s);
    let claimed = store.claim_due("w", now, at(60), 10, &[]).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert!(store
        .claim_due("x", at(30), at(90), 10, &[])
        .await
        .unwrap()
        .is_empty());
    // Both leases run until 60 s: released at 30 s, both are due then.
    let released = store.release_leases(Some("w"), at(30)).await.unwrap();
    assert_eq!(released, 2);
    let retaken = store.claim_due("x", at(30), at(40), 10, &[]).await.unwrap();
    assert_eq!(retaken.len(), 2, "released deliveries are due again");
    // x's leases ended at 40 s: at 50 s there is nothing in force to release,
    // and the deliveries are due already.
    assert_eq!(store.release_leases(Some("x"), at(50)).await.unwrap(), 0);
    let again = store
        .claim_due("y", at(50), at(110), 10, &[])
        .await
        .unwrap();
    assert_eq!(
        again.len(),
        2,
        "expired leases are claimable without a release"
    );
}
