//! What a running attempt holds, given back by `Drop` so nothing can leak:
//! its place in its lane and its global permit.
//!
//! Nothing else may give a place or a permit back: a hold that is dropped, by
//! any path, returns them exactly once.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Worker;

/// A running attempt's hold on its lane: released when the HTTP exchange ends,
/// or when the task ends any other way (so a place can never leak).
pub(super) struct LaneHold {
    /// The worker whose lane is held.
    pub(super) worker: Worker,
    /// The lane.
    pub(super) webhook_id: String,
    /// When the attempt started, for the lane's drain estimate.
    pub(super) started: Instant,
    /// What the lane learns the attempt took, when not the time since
    /// `started`: a delivery sent back to the queue by its webhook's rate
    /// limit counts as long as its wait would have been, so the lane's drain
    /// estimate sends the next publishes to the queue too.
    pub(super) took: Option<Duration>,
}

impl Drop for LaneHold {
    fn drop(&mut self) {
        let s = &self.worker.shared;
        let took = self.took.unwrap_or_else(|| self.started.elapsed());
        let (starts, was_full) = s.lanes.finished(&self.webhook_id, took);
        self.worker.start(starts);
        if was_full {
            s.freed.notify_one();
        }
    }
}

/// A running attempt's global permit: held until its result is recorded (or
/// the task ends any other way), then handed to a lane waiting for one.
pub(super) struct Permit {
    /// The worker whose permit is held.
    pub(super) worker: Worker,
    /// The permit; taken out when given back.
    pub(super) permit: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        drop(self.permit.take());
        let s = &self.worker.shared;
        let (starts, was_blocked) = s.lanes.released();
        self.worker.start(starts);
        // A claim waiting for capacity goes again once a quarter batch of
        // permits is free (not on every release: that would be a claim query
        // per attempt); exactly one release wakes it.
        let enough = s.lanes.free_permits() >= self.worker.quarter_batch();
        if was_blocked || (enough && s.wants_permits.swap(false, Ordering::AcqRel)) {
            s.freed.notify_one();
        }
    }
}
