//! `publish_batch`: several publishes in one transaction, all or none.

use chrono::TimeDelta;
use hookwire::clock;
use hookwire::model::{Event, NewEvent};
use hookwire::store::{DynStore, PublishRequest};
use hookwire::testing::Backend;

use crate::fresh_store;

hookwire::backend_tests!(
    a_batch_stores_each_publish_and_sees_its_own_idempotency_keys,
    a_batch_with_one_bad_publish_stores_nothing,
    a_batch_fans_each_event_out_to_its_own_tenants_webhooks,
);

fn event(tenant: &str, key: Option<&str>) -> Event {
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({ "k": key }),
        channel: None,
        id: key.map(str::to_owned),
    };
    Event::from_new(tenant, new, None, |_| true).unwrap()
}

async fn batch(store: &DynStore, events: &[Event]) -> hookwire::store::Result<Vec<bool>> {
    let patterns = vec!["*".to_owned()];
    let since = clock::now() - TimeDelta::hours(24);
    let requests: Vec<PublishRequest<'_>> = events
        .iter()
        .map(|e| PublishRequest {
            event: e,
            patterns: &patterns,
            dedupe_since: since,
            direct: None,
        })
        .collect();
    let published = store.publish_batch(&requests).await?;
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
    let events = [event(&tenant, None), event("ten_missing", None)];
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
