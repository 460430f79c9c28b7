//! SIGTERM: stop claiming, let attempts finish within the grace period, release
//! the leases of the rest so a restarted (or another) node retries them at once.

use std::time::Duration;

use hookwire::testing::{Backend, TestDatabase};

use crate::receiver::{Answer, Receiver};
use crate::server::{publish, tenant_with_webhook, Server};

hookwire::backend_tests!(a_graceful_shutdown_releases_unfinished_leases);

async fn a_graceful_shutdown_releases_unfinished_leases(b: Backend) {
    let Some(db) = TestDatabase::create(b).await else {
        return;
    };
    let rx = Receiver::start().await;
    rx.script("/stuck", vec![Answer::Hang(Duration::from_secs(8))]);
    // A long lease: only an explicit release lets the delivery be retried soon.
    // (On SQLite a restart also frees all leases, since one process owns the file;
    // on PostgreSQL only the graceful release can explain a quick retry.)
    let env = [
        ("HOOKWIRE_LEASE_SECONDS", "120"),
        ("HOOKWIRE_SHUTDOWN_GRACE_SECONDS", "1"),
    ];
    let server = Server::start_with(&db.url, &env).await;
    let key = tenant_with_webhook(&server.base, &rx.url("/stuck")).await;
    publish(&reqwest::Client::new(), &server.base, &key, 1)
        .await
        .expect("accepted");
    rx.wait_for("/stuck", 1).await;

    let status = server.terminate();
    assert!(status.success(), "hookwire exited with {status}");
    let restarted = tokio::time::Instant::now();
    let _server = Server::start_with(&db.url, &env).await;
    rx.wait_for("/stuck", 2).await;
    assert!(
        restarted.elapsed() < Duration::from_secs(20),
        "the delivery waited for its lease to expire instead of being released"
    );
}
