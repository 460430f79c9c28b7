//! The engine's notion of "now".
//!
//! Everything that stamps or compares times asks here, so both backends and
//! every node agree to the millisecond; it holds no state and must not cache a
//! time.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

/// The current time truncated to milliseconds: the precision both backends store
/// (SQLite keeps unix milliseconds), so a value reads back exactly as it was
/// written and API responses agree before and after a round trip.
pub fn now() -> DateTime<Utc> {
    let t = Utc::now();
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}
