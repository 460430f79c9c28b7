//! A rolling upgrade on PostgreSQL with the real previous version: a node of
//! the version before the newest migration runs; a node of this version
//! starts beside it and migrates the database; both go on publishing and
//! delivering, each reads what the other wrote, the old node restarts on the
//! migrated database, and nothing accepted is lost.
//!
//! `.ci/previous.sh` builds that version from git history and names it in
//! `HOOKWIRE_PREVIOUS_BINARY`; without it (and `CI` unset) the test is skipped
//! with a loud message.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use hookwire::testing::{Backend, TestDatabase};
use serde_json::{json, Value};

use crate::receiver::Receiver;
use crate::server::{all_delivered_and_signed, tenant, Server};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The previous version's binary, or `None` (skip).
fn previous() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("HOOKWIRE_PREVIOUS_BINARY") {
        return Some(PathBuf::from(path));
    }
    let why = std::env::var("HOOKWIRE_PREVIOUS_UNAVAILABLE").ok();
    assert!(
        std::env::var_os("CI").is_none() || why.is_some(),
        "CI is set but HOOKWIRE_PREVIOUS_BINARY is not (.ci/run builds it with .ci/previous.sh)"
    );
    eprintln!(
        "\n*** SKIPPED: upgrade test — {} ***\n",
        why.unwrap_or_else(|| "set HOOKWIRE_PREVIOUS_BINARY (.ci/previous.sh builds it)".into())
    );
    None
}

/// Publish `n` events through `base`; the ids of the accepted ones.
async fn publish(client: &reqwest::Client, base: &str, key: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for i in 0..n {
        let resp = client
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(key)
            .json(&json!({ "type": "webhook.test", "data": { "n": i } }))
            .send()
            .await
            .expect("publish");
        assert_eq!(
            resp.status(),
            202,
            "{}",
            resp.text().await.unwrap_or_default()
        );
        let body: Value = resp.json().await.expect("json");
        ids.push(body["id"].as_str().expect("id").to_owned());
    }
    ids
}

/// How many migrations the database has applied.
async fn migrations(url: &str) -> i64 {
    use sqlx::Connection as _;
    let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
    sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .expect("count migrations")
}

#[tokio::test]
async fn a_node_one_version_behind_keeps_working_after_the_next_version_migrates() {
    let Some(previous) = previous() else {
        return;
    };
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let rx = Receiver::start().await;
    let old = Server::start_binary(&previous, &db.url, &[], &[], None).await;
    let key = tenant(&old.base).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/v1/webhooks", old.base))
        .bearer_auth(&key)
        .json(&json!({ "url": rx.url("/in"), "events": ["*"], "secret": SECRET,
                       "retry": { "max_attempts": 20, "initial_delay_ms": 100, "max_delay_ms": 1000 } }))
        .send()
        .await
        .expect("create webhook");
    assert_eq!(created.status(), 201);
    let mut accepted: HashSet<String> = publish(&client, &old.base, &key, 50)
        .await
        .into_iter()
        .collect();

    // The next version starts on the same database and migrates it while the
    // old node runs; then both take traffic.
    let before = migrations(&db.url).await;
    let new = Server::start(&db.url).await;
    assert!(
        migrations(&db.url).await > before,
        "the new version applied its migration beside the old node"
    );
    let (from_old, from_new) = tokio::join!(
        publish(&client, &old.base, &key, 100),
        publish(&client, &new.base, &key, 100),
    );
    // Each reads what the other wrote.
    for (reader, id) in [(&old.base, &from_new[0]), (&new.base, &from_old[0])] {
        let resp = client
            .get(format!("{reader}/api/v1/events/{id}"))
            .bearer_auth(&key)
            .send()
            .await
            .expect("read event");
        assert_eq!(resp.status(), 200, "{reader} reading {id}");
    }
    accepted.extend(from_old);
    accepted.extend(from_new);

    // The old version restarts (a crash, a reschedule) on the migrated
    // database mid-rollout: it starts and takes traffic again.
    drop(old);
    let old = Server::start_binary(&previous, &db.url, &[], &[], None).await;
    accepted.extend(publish(&client, &old.base, &key, 50).await);

    all_delivered_and_signed(&rx, "/in", &accepted, SECRET, Duration::from_secs(60)).await;
    assert_eq!(accepted.len(), 300);
    drop((old, new));
}
