//! A real webhook receiver on 127.0.0.1 that records every request and answers
//! as each test scripts it, per path.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;

/// How the receiver answers one request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status, body "ok".
    Status(u16),
    /// This status with `Retry-After: secs`.
    RetryAfter(u16, u64),
    /// Wait this long, then 200 (longer than the webhook's timeout = a timeout).
    Hang(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    script: HashMap<String, VecDeque<Answer>>,
    /// Requests being answered now, and the most ever at once, per path.
    in_flight: HashMap<String, (usize, usize)>,
    /// Paths answering 503 to everything until a time.
    down_until: HashMap<String, Instant>,
}

/// The receiver; requests to a path without a script get 200.
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    state: Arc<Mutex<State>>,
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = shared.clone();
            async move { answer(&state, uri, headers, body).await }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, state }
    }

    /// The URL of `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answer the next requests to `path` like this, in order; then 200.
    pub fn script(&self, path: &str, answers: Vec<Answer>) {
        let mut s = self.state.lock().unwrap();
        s.script.entry(path.to_owned()).or_default().extend(answers);
    }

    /// Answer every request to `path` with 503 for `how_long` from now (a
    /// receiver that is down), then as scripted.
    pub fn down_for(&self, path: &str, how_long: Duration) {
        let mut s = self.state.lock().unwrap();
        s.down_until
            .insert(path.to_owned(), Instant::now() + how_long);
    }

    /// Everything received at `path` so far.
    pub fn at(&self, path: &str) -> Vec<Received> {
        let s = self.state.lock().unwrap();
        s.received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// The most requests to `path` that were ever being answered at once.
    pub fn max_concurrent(&self, path: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .in_flight
            .get(path)
            .map_or(0, |c| c.1)
    }

    /// Wait until `path` has received `n` requests (give up after 15 s).
    pub async fn wait_for(&self, path: &str, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let got = self.at(path);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{path} got {} of {n} requests",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

async fn answer(state: &Mutex<State>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_owned();
    let next = {
        let mut s = state.lock().unwrap();
        s.received.push(Received {
            path: path.clone(),
            headers,
            body,
            at: Instant::now(),
        });
        let c = s.in_flight.entry(path.clone()).or_default();
        c.0 += 1;
        c.1 = c.1.max(c.0);
        match s.down_until.get(&path) {
            Some(until) if Instant::now() < *until => Some(Answer::Status(503)),
            _ => s.script.get_mut(&path).and_then(VecDeque::pop_front),
        }
    };
    let response = respond(next).await;
    if let Some(c) = state.lock().unwrap().in_flight.get_mut(&path) {
        c.0 -= 1;
    }
    response
}

async fn respond(next: Option<Answer>) -> Response {
    match next.unwrap_or(Answer::Status(200)) {
        Answer::Status(code) => (StatusCode::from_u16(code).unwrap(), "ok").into_response(),
        Answer::RetryAfter(code, secs) => (
            StatusCode::from_u16(code).unwrap(),
            [("retry-after", secs.to_string())],
            "slow down",
        )
            .into_response(),
        Answer::Hang(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "late").into_response()
        }
    }
}
