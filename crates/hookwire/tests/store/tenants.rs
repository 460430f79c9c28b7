use chrono::TimeDelta;
use hookwire::clock;
use hookwire::model::{ApiKey, Event, EventType, NewEvent, Tenant};
use hookwire::page::PageRequest;
use hookwire::store::Error;
use hookwire::testing::Backend;

use crate::fresh_store;

hookwire::backend_tests!(
    a_tenant_is_stored_with_its_key_and_deleted_with_everything_it_owns,
    deleting_a_tenant_deletes_its_events_and_their_deliveries,
    tenants_page_newest_first,
    a_setting_is_written_once_by_the_first_caller,
    event_type_names_are_unique_but_upserts_update,
);

async fn a_tenant_is_stored_with_its_key_and_deleted_with_everything_it_owns(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let tenant = Tenant::new("acme").unwrap();
    let (key, token) = ApiKey::generate(&tenant.id);
    store.create_tenant(&tenant, &key).await.unwrap();

    assert_eq!(
        store.tenant(&tenant.id).await.unwrap(),
        Some(tenant.clone())
    );
    let found = store
        .api_keys_by_prefix(&token[..hookwire::secret::API_KEY_LOOKUP_LEN])
        .await
        .unwrap();
    assert_eq!(found, vec![key.clone()]);

    assert!(store.delete_tenant(&tenant.id).await.unwrap());
    assert_eq!(store.tenant(&tenant.id).await.unwrap(), None);
    assert!(store
        .api_keys_by_prefix(&key.lookup_prefix)
        .await
        .unwrap()
        .is_empty());
    assert!(!store.delete_tenant(&tenant.id).await.unwrap());
}

async fn deleting_a_tenant_deletes_its_events_and_their_deliveries(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let (tenant, _webhook) = crate::history::setup(&store).await;
    let events = crate::history::publish_many(&store, &tenant, TimeDelta::zero(), 3).await;
    for e in &events {
        assert_eq!(store.deliveries_of_event(&e.id).await.unwrap().len(), 1);
    }
    assert!(store.delete_tenant(&tenant).await.unwrap());
    for e in &events {
        assert_eq!(store.event(&tenant, &e.id).await.unwrap(), None);
        assert!(store.deliveries_of_event(&e.id).await.unwrap().is_empty());
    }
}

async fn tenants_page_newest_first(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    let mut ids = Vec::new();
    for i in 0..5 {
        let t = Tenant::new(&format!("t{i}")).unwrap();
        let (k, _) = ApiKey::generate(&t.id);
        store.create_tenant(&t, &k).await.unwrap();
        ids.push(t.id);
    }
    ids.reverse();
    let mut seen = Vec::new();
    let mut req = PageRequest::parse(Some(2), None).unwrap();
    loop {
        let page = store.list_tenants(&req).await.unwrap();
        seen.extend(page.items.into_iter().map(|t| t.id));
        match page.next_cursor {
            Some(c) => req = PageRequest::parse(Some(2), Some(&c)).unwrap(),
            None => break,
        }
    }
    assert_eq!(seen, ids);
}

async fn a_setting_is_written_once_by_the_first_caller(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    assert_eq!(store.setting("k").await.unwrap(), None);
    assert!(store.insert_setting_if_absent("k", "first").await.unwrap());
    assert!(!store.insert_setting_if_absent("k", "second").await.unwrap());
    assert_eq!(store.setting("k").await.unwrap().as_deref(), Some("first"));
}

async fn event_type_names_are_unique_but_upserts_update(b: Backend) {
    let Some((store, _db)) = fresh_store(b).await else {
        return;
    };
    // The store keeps hookwire's own (operational) types too; tenants' views
    // leave them out (service layer).
    let names = |v: Vec<EventType>| {
        v.into_iter()
            .map(|e| e.name)
            .filter(|n| !n.starts_with("hookwire."))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(store.event_types().await.unwrap()),
        vec!["webhook.test"]
    );

    let et = EventType::new("artifact.completed", "done").unwrap();
    store.insert_event_type(&et).await.unwrap();
    assert!(matches!(
        store.insert_event_type(&et).await,
        Err(Error::Conflict(_))
    ));
    let changed = EventType::new("artifact.completed", "finished").unwrap();
    store.upsert_event_type(&changed).await.unwrap();
    let all: Vec<_> = store
        .event_types()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| !e.name.starts_with("hookwire."))
        .collect();
    assert_eq!(all[0], changed);
    assert_eq!(all.len(), 2);
}

/// `sqlite::memory:` is one database shared by the writer and the readers (not
/// one per connection), and two stores opened on it are two databases.
#[tokio::test]
async fn an_in_memory_sqlite_store_reads_what_it_wrote() {
    let store = hookwire::store::open("sqlite::memory:").await.unwrap();
    let other = hookwire::store::open("sqlite::memory:").await.unwrap();
    let tenant = Tenant::new("acme").unwrap();
    let (key, _token) = ApiKey::generate(&tenant.id);
    store.create_tenant(&tenant, &key).await.unwrap();
    // More reads at once than the reader pool has connections.
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (store, id) = (store.clone(), tenant.id.clone());
        reads.spawn(async move { store.tenant(&id).await });
    }
    while let Some(found) = reads.join_next().await {
        assert_eq!(found.unwrap().unwrap(), Some(tenant.clone()));
    }
    assert_eq!(other.tenant(&tenant.id).await.unwrap(), None);
    // Publishes go through the writer's second connection (rusqlite): the
    // same in-memory database, not one of its own.
    let new = NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({ "n": 1 }),
        channel: None,
        id: None,
        ordering_key: None,
    };
    let event = Event::from_new(&tenant.id, new, None, |_| true).unwrap();
    let since = clock::now() - TimeDelta::hours(24);
    hookwire::testing::publish(&store, &event, &["*".to_owned()], since)
        .await
        .unwrap();
    assert_eq!(
        store.event(&tenant.id, &event.id).await.unwrap(),
        Some(event.clone())
    );
    assert_eq!(other.event(&tenant.id, &event.id).await.unwrap(), None);
}
