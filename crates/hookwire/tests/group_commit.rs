//! Publishes (and attempt results) that arrive together are committed
//! together, and still each get their own answer: idempotency holds inside a
//! batch, one failing publish fails alone, and results that shared a failed
//! batch are still recorded.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hookwire::model::{DeliveryStatus, NewEvent, WebhookDraft};
use hookwire::testing::{loopback_options, Backend, TestDatabase};
use hookwire::{store, Hookwire, Options, Worker, WorkerOptions};

hookwire::backend_tests!(
    concurrent_publishes_each_get_their_own_answer,
    results_that_shared_a_failed_batch_are_still_recorded,
);

fn event(key: Option<String>) -> NewEvent {
    NewEvent {
        event_type: "webhook.test".into(),
        data: serde_json::json!({}),
        channel: None,
        id: key,
        ordering_key: None,
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

async fn results_that_shared_a_failed_batch_are_still_recorded(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    // A receiver on 127.0.0.1 that counts what it gets.
    let received = Arc::new(AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let counter = received.clone();
    let app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async {}
    });
    tokio::spawn(async move { axum::serve(listener, app).await });
    let hookwire = Hookwire::new(store::open(&db.url).await.unwrap(), loopback_options());
    let (tenant, _) = hookwire.create_tenant("acme").await.unwrap();
    let draft = WebhookDraft {
        url,
        events: vec!["*".into()],
        ..Default::default()
    };
    hookwire.create_webhook(&tenant.id, draft).await.unwrap();
    let worker = Worker::new(&hookwire, WorkerOptions::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));

    // Rounds of concurrent publishes, each with one that fails (no such
    // tenant) and so rolls back whatever batch it lands in — including the
    // results of earlier rounds' deliveries that were committed with it.
    let mut published = Vec::new();
    for _round in 0..5 {
        let mut tasks = Vec::new();
        for n in 0..30 {
            let (hookwire, tenant) = (hookwire.clone(), tenant.id.clone());
            tasks.push(tokio::spawn(async move {
                let tenant = if n == 15 {
                    "ten_missing".into()
                } else {
                    tenant
                };
                hookwire.publish(&tenant, event(None), None).await
            }));
        }
        for task in tasks {
            if let Ok(p) = task.await.unwrap() {
                published.push(p.deliveries[0].id.clone());
            }
        }
    }
    assert_eq!(
        published.len(),
        5 * 29,
        "only the tenantless publishes fail"
    );
    let mut pending = published.clone();
    for _ in 0..300 {
        let mut still = Vec::new();
        for id in pending {
            let d = hookwire.delivery(&tenant.id, &id).await.unwrap().delivery;
            if d.status != DeliveryStatus::Delivered {
                still.push(id);
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop.send(());
    running.await.unwrap();
    assert!(pending.is_empty(), "not recorded as delivered: {pending:?}");
    assert_eq!(
        received.load(Ordering::SeqCst),
        published.len(),
        "each delivery was sent once"
    );
}
