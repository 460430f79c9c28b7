//! Publishes that arrive together are committed together, and still each get
//! their own answer: idempotency holds inside a batch, and one failing publish
//! fails alone.

use std::collections::HashSet;

use hookwire::model::NewEvent;
use hookwire::testing::{Backend, TestDatabase};
use hookwire::{store, Hookwire, Options};

hookwire::backend_tests!(concurrent_publishes_each_get_their_own_answer);

fn event(key: Option<String>) -> NewEvent {
    NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({}),
        channel: None,
        id: key,
    }
}

async fn concurrent_publishes_each_get_their_own_answer(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let hookwire = Hookwire::new(store::open(&db.url).await.unwrap(), Options::default());
    let (tenant, _) = hookwire.create_tenant("acme").await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..60 {
        let (hookwire, tenant) = (hookwire.clone(), tenant.id.clone());
        tasks.push(tokio::spawn(async move {
            // Every third publish repeats one key; one publish names no tenant.
            let key = (n % 3 == 0).then(|| "order-1".to_owned());
            let tenant = if n == 31 {
                "ten_missing".into()
            } else {
                tenant
            };
            hookwire.publish(&tenant, event(key), None).await
        }));
    }
    let mut ids = HashSet::new();
    let (mut failed, mut duplicates) = (0, 0);
    let mut keyed = HashSet::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(p) => {
                if p.event.idempotency_key.is_some() {
                    keyed.insert(p.event.id.clone());
                }
                duplicates += usize::from(p.duplicate);
                ids.insert(p.event.id);
            }
            Err(_) => failed += 1,
        }
    }
    assert_eq!(failed, 1, "only the publish without a tenant fails");
    assert_eq!(keyed.len(), 1, "20 publishes of one key make one event");
    assert_eq!(duplicates, 19);
    assert_eq!(ids.len(), 40, "39 distinct events plus the keyed one");
    for id in &ids {
        hookwire
            .event(&tenant.id, id)
            .await
            .expect("every answered event is stored");
    }
}
