//! The per-process API-key cache may lag another node's tenant deletion by its
//! TTL; a publish in that window is refused cleanly and stores nothing.

use hookwire::model::NewEvent;
use hookwire::testing::{Backend, TestDatabase};
use hookwire::{store, Error, Hookwire, Options};

hookwire::backend_tests!(a_publish_for_a_tenant_deleted_on_another_node_is_not_found);

async fn a_publish_for_a_tenant_deleted_on_another_node_is_not_found(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let node_a = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let node_b = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let (tenant, token) = node_a.create_tenant("doomed").await.unwrap();
    // Node B confirms the key (and caches it); node A deletes the tenant.
    assert!(node_b.authenticate(&token).await.unwrap().is_some());
    node_a.delete_tenant(&tenant.id).await.unwrap();
    assert!(
        node_a.authenticate(&token).await.unwrap().is_none(),
        "the deleting node forgets the key at once"
    );
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({}),
        channel: None,
        id: None,
    };
    let refused = node_b.publish(&tenant.id, new, None).await;
    assert!(
        matches!(refused, Err(Error::NotFound("tenant"))),
        "{refused:?}"
    );
}
