//! Per-API-key rate limiting (token bucket, via `governor`).
//!
//! Every response carries `X-RateLimit-Limit` (the bucket size),
//! `X-RateLimit-Remaining` (requests left in it) and `X-RateLimit-Reset` (seconds
//! until it is full again); an empty bucket answers 429 with `Retry-After`.
//! Requests are keyed by a hash of their bearer token, or by client IP when they
//! carry none. The buckets live in each process: with N nodes behind a load
//! balancer a key's effective limit is up to N times the configured one, which is
//! the usual trade (a shared counter would put a database write on every request).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::error::ApiError;

type Keyed =
    RateLimiter<u64, DefaultKeyedStateStore<u64>, DefaultClock, StateInformationMiddleware>;

/// The process's buckets and their shape.
pub struct Limiter {
    buckets: Keyed,
    per_second: u32,
    burst: u32,
}

impl Limiter {
    /// `None` when `per_second` is 0 (limiting off).
    pub fn new(per_second: u32, burst: u32) -> Option<Arc<Self>> {
        let rate = NonZeroU32::new(per_second)?;
        let burst_nz = NonZeroU32::new(burst.max(1))?;
        let quota = Quota::per_second(rate).allow_burst(burst_nz);
        let limiter = Arc::new(Self {
            buckets: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            per_second,
            burst: burst_nz.get(),
        });
        // Forget idle keys so a flood of random tokens cannot grow memory forever.
        let weak = Arc::downgrade(&limiter);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(l) = weak.upgrade() else { break };
                l.buckets.retain_recent();
                l.buckets.shrink_to_fit();
            }
        });
        Some(limiter)
    }

    /// Take one request from `key`'s bucket: `Ok(remaining)` or `Err(retry_after)`.
    fn take(&self, key: u64) -> Result<u32, Duration> {
        match self.buckets.check_key(&key) {
            Ok(snapshot) => Ok(snapshot.remaining_burst_capacity()),
            Err(not_until) => Err(not_until.wait_time_from(DefaultClock::default().now())),
        }
    }

    fn headers(&self, headers: &mut HeaderMap, remaining: u32) {
        let empty = u64::from(self.burst - remaining.min(self.burst));
        let reset = empty.div_ceil(u64::from(self.per_second));
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.burst));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
    }
}

fn key_of(req: &Request) -> u64 {
    let mut h = DefaultHasher::new();
    match req.headers().get(axum::http::header::AUTHORIZATION) {
        Some(auth) => auth.as_bytes().hash(&mut h),
        None => req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .hash(&mut h),
    }
    h.finish()
}

/// Middleware: charge the request to its key's bucket and label the response.
pub async fn limit(
    State(limiter): State<Option<Arc<Limiter>>>,
    req: Request,
    next: Next,
) -> Response {
    let Some(limiter) = limiter else {
        return next.run(req).await;
    };
    match limiter.take(key_of(&req)) {
        Ok(remaining) => {
            let mut response = next.run(req).await;
            limiter.headers(response.headers_mut(), remaining);
            response
        }
        Err(wait) => {
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            let mut response = ApiError::RateLimited(secs).into_response();
            limiter.headers(response.headers_mut(), 0);
            response
        }
    }
}
