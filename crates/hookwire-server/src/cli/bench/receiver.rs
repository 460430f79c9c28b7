//! The benchmark's receiver: a lean HTTP server on 127.0.0.1 that counts
//! what arrives and how long after its publication.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use serde_json::Value;

/// What the receiver saw.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) received: AtomicU64,
    /// Requests to the endpoint that refuses them (`--bulk-retry`).
    pub(super) failed: AtomicU64,
    /// publish (event timestamp) → receipt, in µs, for healthy deliveries.
    pub(super) latencies_us: Mutex<Vec<u64>>,
}

/// Serve `/ok` (counted, with its latency), `/fail` (422, counted: a
/// receiver that is up and refuses, so the circuit breaker, which counts only
/// a receiver that is down, never holds these attempts back), `/raw`
/// (the baseline's) and `/hang` on 127.0.0.1; returns the base URL.
pub(super) async fn start_receiver(seen: Arc<Seen>) -> anyhow::Result<String> {
    let failing = seen.clone();
    let fail = move || {
        let seen = failing.clone();
        async move {
            seen.failed.fetch_add(1, Ordering::Relaxed);
            axum::http::StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let ok = move |body: Bytes| {
        let seen = seen.clone();
        async move {
            let now = chrono::Utc::now();
            if let Ok(v) = serde_json::from_slice::<Value>(&body) {
                if let Some(t) = v["timestamp"]
                    .as_str()
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                {
                    let us = (now - t.with_timezone(&chrono::Utc))
                        .num_microseconds()
                        .unwrap_or(0)
                        .max(0) as u64;
                    if let Ok(mut l) = seen.latencies_us.lock() {
                        l.push(us);
                    }
                }
            }
            seen.received.fetch_add(1, Ordering::Relaxed);
        }
    };
    let app = axum::Router::new()
        .route("/ok", axum::routing::post(ok))
        .route("/fail", axum::routing::post(fail))
        .route("/raw", axum::routing::post(|| async {}))
        .route(
            "/hang",
            axum::routing::post(|| async { tokio::time::sleep(Duration::from_secs(3600)).await }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(base)
}
