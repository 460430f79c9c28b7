//! Several nodes on one PostgreSQL database behave as one service.

use std::collections::HashMap;
use std::time::Duration;

use hookwire::testing::{Backend, TestDatabase};

use crate::receiver::Receiver;
use crate::server::{publish, tenant_with_webhook, Server};

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
