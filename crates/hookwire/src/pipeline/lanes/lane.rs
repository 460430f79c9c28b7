//! One webhook's lane and the state all lanes share: what each holds and
//! the small questions asked of it (its load, whether a freed place has a
//! job for it, which job goes next).
//!
//! Plain data under the lanes' one lock; the rules that move jobs between
//! lines and permits are the parent's.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use crate::store::Job;

/// Everything a lane knows.
#[derive(Default)]
pub(super) struct Lane {
    /// Attempts whose HTTP exchange is under way.
    pub(super) running: usize,
    /// Places reserved by publishes whose transaction has not finished yet.
    pub(super) reserved: usize,
    /// Jobs from this process's publishes waiting for a place, with the instant
    /// after which starting them could outlive their lease.
    pub(super) waiting: VecDeque<(Job, Instant)>,
    /// Jobs from the queue waiting for a place (started first), likewise.
    pub(super) claimed: VecDeque<(Job, Instant)>,
    /// Moving average of this endpoint's exchange time, in ms (0 = unknown).
    pub(super) avg_ms: f64,
}

impl Lane {
    /// Every job this lane answers for: running, reserved by a publish, or
    /// waiting in either line.
    pub(super) fn load(&self) -> usize {
        self.running + self.reserved + self.waiting.len() + self.claimed.len()
    }

    /// Whether a freed place has a job to start here.
    pub(super) fn has_waiting(&self) -> bool {
        !self.claimed.is_empty() || !self.waiting.is_empty()
    }

    /// The next job to start: the queue's first.
    pub(super) fn next(&mut self) -> Option<(Job, Instant)> {
        self.claimed
            .pop_front()
            .or_else(|| self.waiting.pop_front())
    }
}

/// Everything the lanes share, behind one lock (held for microseconds).
#[derive(Default)]
pub(super) struct State {
    /// One lane per webhook with anything running, waiting or reserved.
    pub(super) lanes: HashMap<String, Lane>,
    /// Lanes with waiting jobs that found no global permit.
    pub(super) blocked: VecDeque<String>,
    /// Lanes with claimed jobs waiting that found no global permit: served
    /// first, and by any permit (the handed-off ones leave the reserve).
    pub(super) blocked_claimed: VecDeque<String>,
    /// Jobs waiting or reserved over all lanes.
    pub(super) queued: usize,
}

impl State {
    /// Whether some lane waits for a global permit.
    pub(super) fn any_blocked(&self) -> bool {
        !self.blocked.is_empty() || !self.blocked_claimed.is_empty()
    }
}

/// Forget a lane with nothing in it, so the map only holds busy webhooks.
pub(super) fn tidy(state: &mut State, webhook_id: &str) {
    if state.lanes.get(webhook_id).is_some_and(|l| l.load() == 0) {
        state.lanes.remove(webhook_id);
    }
}
