//! The per-process API-key cache may lag another node's tenant deletion or key
//! revocation by its TTL (2 s); a publish in that window is refused cleanly
//! and stores nothing, and a revoked key is refused by every node within 5 s.

use hookwire::model::{KeyDraft, NewEvent};
use hookwire::testing::{Backend, TestDatabase};
use hookwire::{store, Error, Hookwire, Options};

hookwire::backend_tests!(
    a_publish_for_a_tenant_deleted_on_another_node_is_not_found,
    a_key_revoked_on_one_node_is_refused_by_another_within_five_seconds,
);

async fn a_key_revoked_on_one_node_is_refused_by_another_within_five_seconds(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let node_a = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let node_b = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let (tenant, _) = node_a.create_tenant("acme").await.unwrap();
    let (key, token) = node_a
        .create_api_key(&tenant.id, KeyDraft::default())
        .await
        .unwrap();
    // Node B confirms the key (and caches it); node A revokes it.
    assert!(node_b.authenticate(&token).await.unwrap().is_some());
    node_a.revoke_api_key(&tenant.id, &key.id).await.unwrap();
    assert!(node_a.authenticate(&token).await.unwrap().is_none());
    let revoked = std::time::Instant::now();
    while node_b.authenticate(&token).await.unwrap().is_some() {
        assert!(
            revoked.elapsed() < std::time::Duration::from_secs(5),
            "node B still accepts a key revoked 5 s ago"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

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
        ordering_key: None,
    };
    let refused = node_b.publish(&tenant.id, new, None).await;
    assert!(
        matches!(refused, Err(Error::NotFound("tenant"))),
        "{refused:?}"
    );
}
