//! The per-process catalog cache never rejects a type another node just added.

use hookwire::model::NewEvent;
use hookwire::testing::{Backend, TestDatabase};
use hookwire::{store, Hookwire, Options};

hookwire::backend_tests!(a_type_added_on_another_node_is_accepted_at_once);

fn event(t: &str) -> NewEvent {
    NewEvent {
        event_type: t.into(),
        data: serde_json::json!({}),
        channel: None,
        id: None,
        ordering_key: None,
    }
}

async fn a_type_added_on_another_node_is_accepted_at_once(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let node_a = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let node_b = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let (tenant, _) = node_a.create_tenant("acme").await.unwrap();
    // Node A caches the catalog.
    node_a
        .publish(&tenant.id, event("webhook.test"), None)
        .await
        .unwrap();
    assert!(node_a
        .publish(&tenant.id, event("order.paid"), None)
        .await
        .is_err());
    // Node B adds a type; node A accepts it without waiting for any expiry.
    node_b.create_event_type("order.paid", "").await.unwrap();
    node_a
        .publish(&tenant.id, event("order.paid"), None)
        .await
        .expect("accepted at once");
}
