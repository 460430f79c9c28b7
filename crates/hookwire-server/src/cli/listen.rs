//! `hookwire listen`: a local receiver that verifies and pretty-prints what it
//! gets, like `stripe listen`. The demo runs the same receiver in-process.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Router;
use hookwire::verify::{verify_with, ReceiverKey};

/// How the receiver behaves.
pub struct Receiver {
    /// Verify signatures with this secret or public key, if given.
    pub key: Option<ReceiverKey>,
    /// Status to answer a delivery with.
    pub status: StatusCode,
    /// Status to answer a delivery whose signature does not verify with, so
    /// the sender sees the failure (and retries) instead of a success.
    pub invalid_status: StatusCode,
    /// Event types whose first delivery is answered 503 (the demo's outage).
    pub fail_once: Mutex<HashSet<String>>,
    /// Deliveries received, with whether they verified.
    pub seen: Mutex<Vec<(String, bool)>>,
}

impl Receiver {
    /// A receiver answering `status`, verifying with `key` and answering
    /// `invalid_status` to what does not verify.
    pub fn new(
        key: Option<ReceiverKey>,
        status: StatusCode,
        invalid_status: StatusCode,
    ) -> Arc<Self> {
        Arc::new(Self {
            key,
            status,
            invalid_status,
            fail_once: Mutex::new(HashSet::new()),
            seen: Mutex::new(Vec::new()),
        })
    }

    /// The receiver's routes: every path accepts POSTs.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(receive).with_state(self.clone())
    }
}

async fn receive(State(rx): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let event_type = h("x-webhook-event").unwrap_or_else(|| "?".into());
    let verdict = match &rx.key {
        None => ("not checked (no --secret or --public-key)".to_owned(), true),
        Some(key) => match verify_with(key, h, &body, hookwire::clock::now()) {
            Ok(v) if v.sha256_checked => {
                ("✓ verified (Standard Webhooks v1 + sha256)".into(), true)
            }
            Ok(_) => ("✓ verified (Standard Webhooks v1)".into(), true),
            Err(e) => (format!("✗ {e}"), false),
        },
    };
    let status = if !verdict.1 {
        rx.invalid_status
    } else if lock(&rx.fail_once).remove(&event_type) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        rx.status
    };
    let pretty = serde_json::from_slice::<serde_json::Value>(&body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| String::from_utf8_lossy(&body).into_owned());
    println!(
        "→ {event_type}  {}  attempt {}  delivery {}\n  signature: {}\n{}\n  ← answered {}{}\n",
        h("webhook-id").unwrap_or_default(),
        h("x-webhook-attempt").unwrap_or_default(),
        h("x-webhook-delivery").unwrap_or_default(),
        verdict.0,
        indent(&pretty),
        status.as_u16(),
        if status.is_success() {
            ""
        } else {
            " (hookwire retries it unless that was the webhook's last attempt)"
        },
    );
    if status.is_success() {
        lock(&rx.seen).push((h("webhook-id").unwrap_or_default(), verdict.1));
    }
    status
}

fn indent(s: &str) -> String {
    s.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Run `hookwire listen` until Ctrl-C.
pub async fn run(
    host: std::net::IpAddr,
    port: u16,
    key: Option<ReceiverKey>,
    status: u16,
    invalid_status: u16,
) -> anyhow::Result<()> {
    let code = |flag: &str, n: u16| {
        StatusCode::from_u16(n)
            .map_err(|_| anyhow::anyhow!("{flag} {n} is not an HTTP status code"))
    };
    let rx = Receiver::new(
        key,
        code("--status", status)?,
        code("--invalid-status", invalid_status)?,
    );
    let status = rx.status;
    let addr = SocketAddr::from((host, port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    println!(
        "hookwire listen: receiving on http://{} (answering {}); Ctrl-C to stop\n",
        listener.local_addr()?,
        status.as_u16()
    );
    axum::serve(listener, rx.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
