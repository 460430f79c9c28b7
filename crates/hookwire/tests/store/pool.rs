//! PostgreSQL: a node's main pool stays within `OpenOptions::max_connections`.

use std::time::Duration;

use hookwire::page::PageRequest;
use hookwire::store::{OpenOptions, WebhookFilter};
use hookwire::testing::{Backend, TestDatabase};
use sqlx::{Connection, Executor, PgConnection};

/// This database's connections from hookwire.
async fn hookwire_connections(conn: &mut PgConnection) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND application_name = 'hookwire'",
    )
    .fetch_one(conn)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_node_opens_no_more_connections_than_it_is_given() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let options = OpenOptions {
        max_connections: 3,
        ..OpenOptions::default()
    };
    let store = hookwire::store::open_with(&db.url, options).await.unwrap();
    let (tenant, _webhook) = crate::history::setup(&store).await;

    // Another session locks the webhooks, so every read waits on it holding
    // a connection: twenty reads would want twenty.
    let mut locker = PgConnection::connect(&db.url).await.unwrap();
    locker.execute("BEGIN").await.unwrap();
    locker
        .execute("LOCK TABLE webhooks IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let reads: Vec<_> = (0..20)
        .map(|_| {
            let (store, tenant) = (store.clone(), tenant.clone());
            tokio::spawn(async move {
                store
                    .list_webhooks(&tenant, &WebhookFilter::default(), &PageRequest::default())
                    .await
                    .unwrap()
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut observer = PgConnection::connect(&db.url).await.unwrap();
    assert_eq!(hookwire_connections(&mut observer).await, 3);

    locker.execute("COMMIT").await.unwrap();
    for r in reads {
        assert_eq!(r.await.unwrap().items.len(), 1, "every read completes");
    }
}
