//! How a worker paces itself: batch, lease, caps and heartbeat.
//!
//! Plain settings with their defaults; validation of operator input is the
//! server's config.

use std::time::Duration;

/// How a worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Deliveries claimed per round.
    pub batch_size: u32,
    /// How long a claim is held before another worker may take the delivery over
    /// (must exceed the longest webhook timeout, 60 s).
    pub lease: Duration,
    /// Longest sleep between rounds when nothing wakes the worker.
    pub poll_interval: Duration,
    /// Attempts in flight at once, over all webhooks, each counted until its
    /// result is recorded: this also bounds the results waiting for the
    /// database, so memory stays flat when the database falls behind.
    pub max_in_flight: usize,
    /// Attempts in flight at once to one webhook.
    pub per_webhook_in_flight: usize,
    /// Leased deliveries waiting in line for one webhook's places; beyond it, new
    /// ones stay in the queue until the line has likely drained.
    pub per_webhook_waiting: usize,
    /// How long in-flight attempts may finish after shutdown is requested.
    pub shutdown_grace: Duration,
    /// How often the worker says it is alive in the store. Another worker that
    /// has not heard from it for [`DEAD_AFTER_HEARTBEATS`] of these takes its
    /// leases back, so a killed node's deliveries wait that long, not the whole
    /// lease.
    pub heartbeat_interval: Duration,
}

/// Heartbeats missed before a worker is presumed dead: a busy or briefly
/// stalled worker is not, and a killed one is found in 30 s by default.
pub const DEAD_AFTER_HEARTBEATS: u32 = 3;

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            batch_size: 64,
            lease: Duration::from_secs(90),
            poll_interval: Duration::from_secs(1),
            max_in_flight: 1024,
            per_webhook_in_flight: 10,
            per_webhook_waiting: 100,
            shutdown_grace: Duration::from_secs(10),
            heartbeat_interval: Duration::from_secs(10),
        }
    }
}
