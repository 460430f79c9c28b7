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
