//! CPU accounting from Linux `/proc`: the server's, the bench's own, the
//! machine's, and PostgreSQL's backends'. Elsewhere every figure reads 0.

/// User + system CPU seconds so far of process `pid` (or `self`), from
/// Linux /proc.
pub(super) fn cpu_seconds_of(pid: &str) -> f64 {
    seconds_in(&stat_fields(pid), [11, 12])
}

/// The machine's (busy, total) CPU ticks so far, from /proc/stat: whether
/// a run was bound by CPU (busy near 100 %) or by waiting.
pub(super) fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        // guest time is already counted in user time.
        .take(8)
        .filter_map(|t| t.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …: idle and iowait are not busy.
    let total: u64 = ticks.iter().sum();
    let idle = ticks.get(3).copied().unwrap_or(0) + ticks.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

pub(super) fn machine_busy_fraction(before: (u64, u64), after: (u64, u64)) -> f64 {
    let total = after.1.saturating_sub(before.1);
    if total == 0 {
        return 0.0;
    }
    after.0.saturating_sub(before.0) as f64 / total as f64
}

/// Fields of `/proc/{pid}/stat` after the command name (state is field 0).
fn stat_fields(pid: &str) -> Vec<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// CPU seconds of the ended (and reaped) children of `pid` so far.
pub(super) fn ended_children_cpu_seconds(pid: u32) -> f64 {
    seconds_in(&stat_fields(&pid.to_string()), [13, 14])
}

/// The sum of two clock-tick fields of a stat line, in seconds.
fn seconds_in(fields: &[String], at: [usize; 2]) -> f64 {
    let ticks: f64 = at
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<f64>().ok())
        .sum();
    ticks / 100.0
}

/// The parent of process `pid`, if it is visible.
pub(super) fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(&pid.to_string()).get(1)?.parse().ok()
}
