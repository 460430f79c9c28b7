//! The delivery worker's loop stops when asked, even while every claim comes
//! back full (a backlog larger than a batch); and when its process dies
//! instead, another node's worker takes its deliveries over.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
    // Circuits that open only after far more failures than the test makes:
    // the backlog stays due instead of waiting for probes.
    let options = hookwire::Options {
        circuit: hookwire::model::CircuitSettings {
            failure_threshold: hookwire::model::MAX_FAILURE_THRESHOLD,
            ..Default::default()
        },
        ..loopback_options()
    };
    let hookwire = Hookwire::new(store::open(&db.url).await.unwrap(), options);
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
                    ordering_key: None,
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

hookwire::backend_tests!(
    a_killed_workers_deliveries_go_out_after_its_heartbeats_stop_not_its_lease
);

/// A receiver on 127.0.0.1 that counts the requests it reads, leaves each
/// unanswered while `hang` is set (the connection stays open), and otherwise
/// answers 200 and counts that too.
async fn receiver(
    hang: Arc<AtomicBool>,
    read: Arc<AtomicUsize>,
    answered: Arc<AtomicUsize>,
) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let (hang, read, answered) = (hang.clone(), read.clone(), answered.clone());
            tokio::spawn(async move {
                let mut buf = vec![0u8; 64 * 1024];
                let mut seen = 0;
                // Read up to the end of the headers and the body they announce.
                loop {
                    let Ok(n) = conn.read(&mut buf[seen..]).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    seen += n;
                    let text = String::from_utf8_lossy(&buf[..seen]).to_lowercase();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length:"))
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(0);
                        if seen >= end + 4 + length {
                            break;
                        }
                    }
                }
                read.fetch_add(1, Ordering::SeqCst);
                if hang.load(Ordering::SeqCst) {
                    std::future::pending::<()>().await;
                }
                answered.fetch_add(1, Ordering::SeqCst);
                let _ = conn
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    format!("http://{addr}/hook")
}

/// Wait up to `secs` for `count` to reach `n`.
async fn until(count: &AtomicUsize, n: usize, secs: u64, what: &str) {
    let started = std::time::Instant::now();
    while count.load(Ordering::SeqCst) < n {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "{what}: {} of {n} within {secs} s",
            count.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn a_killed_workers_deliveries_go_out_after_its_heartbeats_stop_not_its_lease(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let hang = Arc::new(AtomicBool::new(true));
    let (read, answered) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let url = receiver(hang.clone(), read.clone(), answered.clone()).await;
    let node = Hookwire::new(store::open(&db.url).await.unwrap(), loopback_options());
    let (tenant, _) = node.create_tenant("acme").await.unwrap();
    let draft = WebhookDraft {
        url,
        events: vec!["*".into()],
        ..Default::default()
    };
    node.create_webhook(&tenant.id, draft).await.unwrap();
    // Queued: no worker runs in this node yet.
    for n in 0..3 {
        let event = NewEvent {
            event_type: "webhook.test".into(),
            data: serde_json::json!({ "n": n }),
            channel: None,
            id: None,
            ordering_key: None,
        };
        node.publish(&tenant.id, event, None).await.unwrap();
    }
    let options = WorkerOptions {
        heartbeat_interval: Duration::from_millis(100),
        ..WorkerOptions::default()
    };
    assert_eq!(options.lease, Duration::from_secs(90));

    // Another node, on a runtime of its own, claims the three; its requests hang.
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let other = Hookwire::new(store::open(&db.url).await.unwrap(), loopback_options());
    doomed.spawn(Worker::new(&other, options.clone()).run(std::future::pending()));
    until(&read, 3, 10, "the doomed node's requests").await;
    // Killed: every task of that node gone at once, attempts included — no
    // release, no result, no more heartbeats.
    doomed.shutdown_background();
    hang.store(false, Ordering::SeqCst);

    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(Worker::new(&node, options).run(async {
        let _ = stopped.await;
    }));
    until(
        &answered,
        3,
        20,
        "delivered by the live node (the lease is 90 s)",
    )
    .await;
}
