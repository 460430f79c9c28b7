//! FIFO lines through a SIGKILL: 10 keys × 200 events on a fifo webhook, a
//! receiver that fails or stalls at random, and the node delivering them
//! killed midway (PostgreSQL: a second node takes over; SQLite: the node is
//! started again). Every key's events arrive in publish order — the next
//! only after the one before it was answered with a 2xx — and none is lost.

use std::collections::HashMap;
use std::time::Duration;

use hookwire::testing::{Backend, TestDatabase};
use serde_json::{json, Value};

use crate::receiver::{Answer, Receiver};
use crate::server::{tenant, Server};

hookwire::backend_tests!(fifo_lines_keep_publish_order_through_a_sigkill);

const KEYS: usize = 10;
const PER_KEY: u64 = 200;

/// The receiver's answers, in arrival order: about one in seven a 500, one in
/// ten a 2xx after a stall (so the kill lands mid-attempt), the rest a 2xx.
fn answers(n: usize) -> Vec<Answer> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 70 {
                0..=9 => Answer::Status(500),
                10..=16 => Answer::Hang(Duration::from_millis(30)),
                _ => Answer::Status(200),
            }
        })
        .collect()
}

async fn publish_seqs(base: &str, key: &str, seqs: std::ops::Range<u64>) {
    let client = reqwest::Client::new();
    for seq in seqs {
        for k in 0..KEYS {
            let resp = client
                .post(format!("{base}/api/v1/events"))
                .bearer_auth(key)
                .json(
                    &json!({ "type": "webhook.test", "ordering_key": format!("k{k}"),
                               "data": { "key": format!("k{k}"), "seq": seq } }),
                )
                .send()
                .await
                .expect("the node answers");
            assert_eq!(resp.status(), 202, "publish k{k}/{seq}");
        }
    }
}

async fn fifo_lines_keep_publish_order_through_a_sigkill(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    let script = answers(20_000);
    rx.script("/fifo", script.clone());
    let first = Server::start(&db.url).await;
    let second = match b {
        Backend::Postgres => Some(Server::start(&db.url).await),
        Backend::Sqlite => None,
    };
    let key = tenant(&first.base).await;
    let created = reqwest::Client::new()
        .post(format!("{}/api/v1/webhooks", first.base))
        .bearer_auth(&key)
        .json(&json!({ "url": rx.url("/fifo"), "events": ["*"], "ordering": "fifo",
                       "retry": { "max_attempts": 20, "initial_delay_ms": 20, "max_delay_ms": 200 } }))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);

    // The first half through the node about to die, which delivers them as
    // they come (on PostgreSQL the other node claims some too).
    publish_seqs(&first.base, &key, 0..PER_KEY / 2).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while rx.at("/fifo").len() < 300 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no progress before the kill"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let survivor = match second {
        Some(node) => node,
        None => Server::start(&db.url).await,
    };
    publish_seqs(&survivor.base, &key, PER_KEY / 2..PER_KEY).await;

    // Wait until every key has had all its events answered with a 2xx.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(240);
    let by_key = loop {
        let by_key = receipts(&rx, &script);
        let done = by_key.len() == KEYS
            && by_key.values().all(|r| {
                r.iter().filter(|(_, ok)| *ok).map(|(s, _)| *s).max() == Some(PER_KEY - 1)
            });
        if done {
            break by_key;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not everything arrived: {:?}",
            by_key.iter().map(|(k, r)| (k, r.len())).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let total: usize = by_key.values().map(Vec::len).sum();
    eprintln!("{total} requests for {} events", KEYS as u64 * PER_KEY);
    for (k, receipts) in &by_key {
        // In publish order: each receipt is the next event, or again the one
        // before it (a 2xx the killed node never recorded: at least once).
        let mut next = 0u64;
        for &(seq, ok) in receipts {
            assert!(
                seq == next || seq + 1 == next,
                "key {k}: event {seq} arrived while {next} was next: {receipts:?}"
            );
            if ok && seq == next {
                next += 1;
            }
        }
        assert_eq!(next, PER_KEY, "key {k}: every event delivered");
    }
    assert!(rx.max_concurrent("/fifo") >= 2, "keys went on in parallel");
    drop(survivor);
}

/// Per key, each request's `seq` in arrival order and whether the receiver
/// answered it with a 2xx (by its place in the script).
fn receipts(rx: &Receiver, script: &[Answer]) -> HashMap<String, Vec<(u64, bool)>> {
    let mut by_key: HashMap<String, Vec<(u64, bool)>> = HashMap::new();
    for (i, r) in rx.at("/fifo").iter().enumerate() {
        let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
        let ok = !matches!(script.get(i), Some(Answer::Status(500)));
        by_key
            .entry(body["data"]["key"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .push((body["data"]["seq"].as_u64().expect("seq"), ok));
    }
    by_key
}
