//! The delivery worker's loop stops when asked, even while every claim comes
//! back full (a backlog larger than a batch).

use std::time::Duration;

use hookwire::model::{NewEvent, WebhookDraft};
use hookwire::testing::{loopback_options, Backend, TestDatabase};
use hookwire::{clock, store, Hookwire, Worker, WorkerOptions};

hookwire::backend_tests!(a_worker_with_a_backlog_stops_when_asked);

async fn a_worker_with_a_backlog_stops_when_asked(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    // A port nothing listens on: every attempt fails at once and is put off
    // by the retry delay, so each claim finds a full batch of due deliveries.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let hookwire = Hookwire::new(store::open(&db.url).await.unwrap(), loopback_options());
    let (tenant, _) = hookwire.create_tenant("acme").await.unwrap();
    for _ in 0..20 {
        let draft = WebhookDraft {
            url: format!("http://{closed}/hook"),
            events: vec!["*".into()],
            ..Default::default()
        };
        hookwire.create_webhook(&tenant.id, draft).await.unwrap();
    }
    // 10,000 deliveries queued before any worker runs.
    let publishes: Vec<_> = (0..500)
        .map(|n| {
            let (hookwire, tenant) = (hookwire.clone(), tenant.id.clone());
            tokio::spawn(async move {
                let event = NewEvent {
                    event_type: "webhook.test".into(),
                    data: serde_json::json!({ "n": n }),
                    channel: None,
                    id: None,
                };
                hookwire.publish(&tenant, event, None).await
            })
        })
        .collect();
    for p in publishes {
        p.await.unwrap().unwrap();
    }

    let worker = Worker::new(
        &hookwire,
        WorkerOptions {
            batch_size: 8,
            ..WorkerOptions::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(worker.run(async {
        let _ = stopped.await;
    }));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(20), running)
        .await
        .expect("the worker stops within 20 s of being asked")
        .unwrap();
    let (due, _) = hookwire.store().queue_depth(clock::now()).await.unwrap();
    assert!(
        due > 0,
        "the worker stopped in the middle of the backlog, not after draining it"
    );
}
