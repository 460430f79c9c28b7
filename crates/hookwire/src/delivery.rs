//! Getting events to webhooks: the HTTP sender, one attempt, and the worker.
//!
//! - [`http`]: the one pooled HTTP client, with the SSRF guard applied to the
//!   address actually connected to.
//! - [`attempt`]: builds and signs one request, sends it, records the attempt and
//!   decides what happens next (delivered, retry at, failed, disable the webhook).
//! - [`worker`]: runs attempts concurrently — fresh deliveries handed over by
//!   publishes in this process (`dispatch`), the rest claimed from the store —
//!   within a global and a per-webhook cap (`lanes`), writing results through
//!   the engine's group commit, in the same transactions as its publishes.
//! - `rate_limit`: a webhook's requests-per-second limit, over every node.

pub mod attempt;
mod dispatch;
pub mod http;
mod lanes;
pub(crate) mod rate_limit;
pub mod worker;

pub use attempt::TestSend;
pub(crate) use dispatch::Reservation;
pub use http::HttpSender;
pub use worker::{Heartbeat, Worker, WorkerOptions};
