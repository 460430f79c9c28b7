//! Several nodes on one PostgreSQL database behave as one service.

use std::collections::HashMap;
use std::time::Duration;

use hookwire::testing::{Backend, TestDatabase};

use crate::receiver::Receiver;
use crate::server::{get_json, publish, published, tenant_with_webhook, Server};

#[tokio::test]
async fn two_nodes_deliver_every_event_once_without_double_sending() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let rx = Receiver::start().await;
    let a = Server::start(&db.url).await;
    let b = Server::start(&db.url).await;
    let key = tenant_with_webhook(&a.base, &rx.url("/in")).await;
    let client = reqwest::Client::new();

    let mut ids = Vec::new();
    for n in 0..200 {
        let node = if n % 2 == 0 { &a.base } else { &b.base };
        ids.push(publish(&client, node, &key, n).await.expect("accepted"));
    }
    rx.wait_for("/in", ids.len()).await;
    // Give any double send time to show up.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut sends: HashMap<(String, String), usize> = HashMap::new();
    for r in rx.at("/in") {
        let id = r.headers["webhook-id"].to_str().unwrap().to_owned();
        let attempt = r.headers["x-webhook-attempt"].to_str().unwrap().to_owned();
        *sends.entry((id, attempt)).or_default() += 1;
    }
    let doubled: Vec<_> = sends.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    for id in &ids {
        assert!(
            sends.contains_key(&(id.clone(), "1".to_owned())),
            "{id} never sent"
        );
    }
    assert_eq!(sends.len(), ids.len());
}

/// SQLite serves one process: a second `serve` on the same file (which would take
/// back the first one's leases and send its deliveries again) refuses to start
/// and says what to do instead; the first goes on.
#[tokio::test]
async fn a_second_node_on_one_sqlite_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("one.db").display());
    let first = Server::start(&url).await;
    let second = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_hookwire"))
            .arg("serve")
            .current_dir(dir.path())
            .env("HOOKWIRE_DATABASE_URL", &url)
            .env("HOOKWIRE_LISTEN", "127.0.0.1:0")
            .env("HOOKWIRE_ADMIN_TOKEN", crate::server::ADMIN)
            .output(),
    )
    .await
    .expect("the second node exits by itself")
    .expect("runs");
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{err}");
    assert!(
        err.contains("one.db is in use by another hookwire process") && err.contains("PostgreSQL"),
        "{err}"
    );
    let ready = reqwest::get(format!("{}/readyz", first.base))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
}

/// A `--role worker` node listens too, for its probes and metrics only: an
/// orchestrator can check it and Prometheus can scrape its attempts.
#[tokio::test]
async fn a_worker_node_serves_its_probes_and_metrics_and_nothing_else() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let rx = Receiver::start().await;
    let api = Server::start_serving(&db.url, &["--role", "api"], &[], None).await;
    let worker = Server::start_serving(&db.url, &["--role", "worker"], &[], None).await;
    let key = tenant_with_webhook(&api.base, &rx.url("/in")).await;
    let client = reqwest::Client::new();
    publish(&client, &api.base, &key, 1)
        .await
        .expect("accepted");
    rx.wait_for("/in", 1).await;
    let get = |path: &str| client.get(format!("{}{path}", worker.base)).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    let ready: serde_json::Value = get("/readyz").await.unwrap().json().await.unwrap();
    assert_eq!(ready["worker"], "ok", "{ready}");
    // The attempt was the worker's: its metrics show it, once the response
    // is in (the receiver has the request a moment before the worker counts).
    let mut metrics = String::new();
    for _ in 0..50 {
        metrics = get("/metrics").await.unwrap().text().await.unwrap();
        if metrics.contains("hookwire_attempts_total") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(metrics.contains("hookwire_attempts_total"), "{metrics}");
    for path in ["/api/v1/webhooks", "/ui", "/docs"] {
        assert_eq!(get(path).await.unwrap().status(), 404, "{path}");
    }
}

/// A receiver down for 5 s behind two nodes: the circuit one node opens
/// holds the other's deliveries too, one probe goes per open period over
/// both, and after the recovery every event is delivered with attempt
/// counts that match what the receiver saw.
#[tokio::test]
async fn two_nodes_share_one_circuit_breaker() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let rx = Receiver::start().await;
    let env = [
        ("HOOKWIRE_CIRCUIT_FAILURE_THRESHOLD", "3"),
        ("HOOKWIRE_CIRCUIT_OPEN_SECONDS", "1"),
        ("HOOKWIRE_MAX_IN_FLIGHT_PER_WEBHOOK", "1"),
    ];
    let a = Server::start_with(&db.url, &env).await;
    let b = Server::start_with(&db.url, &env).await;
    let key = tenant_with_webhook(&a.base, &rx.url("/down")).await;
    let client = reqwest::Client::new();
    let down_until = tokio::time::Instant::now() + Duration::from_secs(5);
    rx.down_for("/down", Duration::from_secs(5));

    let mut ids = Vec::new();
    for n in 0..20 {
        let node = if n % 2 == 0 { &a.base } else { &b.base };
        ids.push(publish(&client, node, &key, n).await.expect("accepted"));
    }
    // Probes 1, 2, 4, 8 s apart: the one that finds the receiver back comes
    // within 13 s of the opening.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    for id in &ids {
        loop {
            let event = get_json(&b.base, &key, &format!("/events/{id}")).await;
            if event["deliveries"][0]["status"] == "delivered" {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "{event}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    let requests = rx.at("/down");
    let while_down = requests.iter().filter(|r| r.at < down_until).count();
    // Without the breaker, 20 deliveries retried every 0.1–1 s for 5 s make
    // well over a hundred requests. With it: three failures open the circuit,
    // at most one attempt per node was under way, a node that had not failed
    // yet may start one before it reads the circuit (within a second), and
    // probes go 1 and 2 s apart.
    assert!(
        while_down <= 10,
        "{while_down} requests while the receiver was down"
    );
    let mut per_event: HashMap<String, u64> = HashMap::new();
    for r in &requests {
        let id = r.headers["webhook-id"].to_str().unwrap().to_owned();
        *per_event.entry(id).or_default() += 1;
    }
    for id in &ids {
        let event = get_json(&a.base, &key, &format!("/events/{id}")).await;
        assert_eq!(
            event["deliveries"][0]["attempt_count"].as_u64(),
            per_event.get(id).copied(),
            "{id}: attempts counted = requests received"
        );
    }
}

/// A `--role api` node keeps its own view of the circuits: its publishes
/// place an open circuit's delivery at the next probe, so no worker claims
/// it before then.
#[tokio::test]
async fn an_api_node_places_an_open_circuits_deliveries_at_the_probe() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let rx = Receiver::start().await;
    let api = Server::start_serving(&db.url, &["--role", "api"], &[], None).await;
    let _worker = Server::start_serving(&db.url, &["--role", "worker"], &[], None).await;
    let key = tenant_with_webhook(&api.base, &rx.url("/in")).await;
    let webhooks = get_json(&api.base, &key, "/webhooks").await;
    let webhook_id = webhooks["data"][0]["id"].as_str().unwrap().to_owned();
    // Open its circuit for an hour, as ten failures elsewhere would.
    let store = hookwire::store::open(&db.url).await.unwrap();
    let settings = hookwire::model::CircuitSettings {
        failure_threshold: 1,
        open_seconds: 3_600,
    };
    let opened = store
        .circuit_failed(&webhook_id, false, settings, chrono::Utc::now())
        .await
        .unwrap();
    let hookwire::store::CircuitFailure::Opened(probe) = opened else {
        panic!("{opened:?}");
    };
    // The API node re-reads the circuits every second.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    // The answer shows the delivery as the publish wrote it, before any
    // worker could have seen it.
    let published = published(&reqwest::Client::new(), &api.base, &key, 1)
        .await
        .expect("accepted");
    let delivery = &published["deliveries"][0];
    let due: chrono::DateTime<chrono::Utc> = delivery["next_attempt_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("a due time");
    assert_eq!(due.timestamp(), probe.timestamp(), "{delivery}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(rx.at("/in").is_empty(), "nothing sent while open");
    assert_eq!(
        get_json(
            &api.base,
            &key,
            &format!("/deliveries/{}", delivery["id"].as_str().unwrap())
        )
        .await["attempt_count"],
        0
    );
}
