//! Getting events to webhooks: the HTTP sender, one attempt, and the worker.
//!
//! - [`http`]: the one pooled HTTP client, with the SSRF guard applied to the
//!   address actually connected to.
//! - [`attempt`]: builds and signs one request, sends it, records the attempt and
//!   decides what happens next (delivered, retry at, failed, disable the webhook).
//! - [`worker`]: claims due deliveries from the store and runs attempts
//!   concurrently, within a global and a per-webhook cap.

pub mod attempt;
pub mod http;
pub mod worker;

pub use attempt::TestSend;
pub use http::HttpSender;
pub use worker::{Heartbeat, Worker, WorkerOptions};
