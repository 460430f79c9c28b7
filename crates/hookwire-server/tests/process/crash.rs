//! SIGKILL under load, then restart: every accepted event is delivered.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hookwire::testing::{Backend, TestDatabase};

use crate::receiver::{Answer, Receiver};
use crate::server::{publish, tenant_with_webhook, Server};

hookwire::backend_tests!(every_accepted_event_survives_repeated_sigkills);

async fn every_accepted_event_survives_repeated_sigkills(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    // A slow receiver, so kills land mid-attempt with leases outstanding.
    rx.script(
        "/slow",
        vec![Answer::Hang(Duration::from_millis(100)); 10_000],
    );
    let mut server = Server::start(&db.url).await;
    let key = tenant_with_webhook(&server.base, &rx.url("/slow")).await;
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let client = reqwest::Client::new();

    for round in 0..3 {
        // Publish while deliveries are in flight, then kill without warning.
        let base = server.base.clone();
        let publisher = {
            let (client, key, accepted) = (client.clone(), key.clone(), accepted.clone());
            tokio::spawn(async move {
                for n in 0..1_000 {
                    match publish(&client, &base, &key, round * 1_000 + n).await {
                        Some(id) => accepted.lock().unwrap().push(id),
                        None => break, // the server died under us
                    }
                }
            })
        };
        // Kill once deliveries are landing and this round has accepted enough
        // events to matter (counted, not timed, so a loaded machine is no excuse).
        let before = rx.at("/slow").len();
        let accepted_before = accepted.lock().unwrap().len();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while rx.at("/slow").len() < before + 5
            || accepted.lock().unwrap().len() < accepted_before + 8
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round}: the server made no progress"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        server.kill();
        publisher.await.unwrap();
        server = Server::start(&db.url).await;
    }

    let accepted: Vec<String> = accepted.lock().unwrap().clone();
    eprintln!(
        "accepted {} events; receiver saw {} requests so far",
        accepted.len(),
        rx.at("/slow").len()
    );
    assert!(
        accepted.len() >= 15,
        "too few events accepted to prove anything: {}",
        accepted.len()
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let seen: HashSet<String> = rx
            .at("/slow")
            .iter()
            .map(|r| r.headers["webhook-id"].to_str().unwrap().to_owned())
            .collect();
        let missing: Vec<_> = accepted.iter().filter(|id| !seen.contains(*id)).collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {} accepted events never arrived, e.g. {:?}",
            missing.len(),
            accepted.len(),
            missing.first()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing is left stuck: every accepted event's delivery ends delivered.
    for id in &accepted {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let e: serde_json::Value = client
                .get(format!("{}/api/v1/events/{id}", server.base))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if e["deliveries"][0]["status"] == "delivered" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "stuck delivery: {e}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
