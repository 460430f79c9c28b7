//! Per-webhook retry policy.
//!
//! It computes when, not whether: whether a failed attempt is retried at all is
//! the attempt's decision ([`crate::delivery::attempt`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// How often and how patiently a delivery is retried. Delay before attempt `n+1` is
/// `min(initial_delay_ms · 2^(n−1), max_delay_ms)` with ±20 % jitter; the defaults
/// (4 attempts, 1 s initial) give waits of about 1 s, 2 s, 4 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetryPolicy {
    /// Total attempts including the first, 1–20.
    pub max_attempts: u32,
    /// Wait after the first failure, in milliseconds (1 ms – 1 day).
    pub initial_delay_ms: u64,
    /// Upper bound of any wait, in milliseconds (at least `initial_delay_ms`, at
    /// most 7 days).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_delay_ms: 1_000,
            max_delay_ms: 3_600_000,
        }
    }
}

impl RetryPolicy {
    /// The un-jittered wait after `failures` failed attempts (1-based):
    /// `min(initial_delay_ms · 2^(failures−1), max_delay_ms)`.
    pub fn base_delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(40);
        let ms = self
            .initial_delay_ms
            .saturating_mul(1u64 << doublings)
            .min(self.max_delay_ms);
        Duration::from_millis(ms)
    }

    /// The wait after `failures` failed attempts with ±20 % jitter, so a burst of
    /// failures does not retry in lock-step. `unit` is a random number in [0, 1).
    pub fn delay(&self, failures: u32, unit: f64) -> Duration {
        let factor = 0.8 + 0.4 * unit.clamp(0.0, 1.0);
        self.base_delay(failures).mul_f64(factor)
    }
}

/// A retry policy as a client sends it: every field optional, missing ones taken
/// from a base policy (the defaults on create, the current policy on PATCH).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetryPolicyDraft {
    /// Total attempts including the first, 1–20 (default 4).
    pub max_attempts: Option<u32>,
    /// Wait after the first failure in ms (default 1000).
    pub initial_delay_ms: Option<u64>,
    /// Upper bound of any wait in ms (default 3600000).
    pub max_delay_ms: Option<u64>,
}

/// Longest first retry delay: a day.
const MAX_INITIAL_DELAY_MS: u64 = 86_400_000;
/// Longest delay between retries: a week.
const MAX_DELAY_MS: u64 = 7 * 86_400_000;

impl RetryPolicyDraft {
    /// Fill missing fields from `base` and check the ranges.
    pub fn resolve(self, base: RetryPolicy) -> Result<RetryPolicy, ValidationError> {
        let p = RetryPolicy {
            max_attempts: self.max_attempts.unwrap_or(base.max_attempts),
            initial_delay_ms: self.initial_delay_ms.unwrap_or(base.initial_delay_ms),
            max_delay_ms: self.max_delay_ms.unwrap_or(base.max_delay_ms),
        };
        if !(1..=20).contains(&p.max_attempts) {
            return Err(ValidationError::field(
                "retry.max_attempts",
                "must be between 1 and 20",
            ));
        }
        if !(1..=MAX_INITIAL_DELAY_MS).contains(&p.initial_delay_ms) {
            return Err(ValidationError::field(
                "retry.initial_delay_ms",
                format!("must be between 1 and {MAX_INITIAL_DELAY_MS}"),
            ));
        }
        if p.max_delay_ms < p.initial_delay_ms || p.max_delay_ms > MAX_DELAY_MS {
            return Err(ValidationError::field(
                "retry.max_delay_ms",
                format!("must be between initial_delay_ms and {MAX_DELAY_MS}"),
            ));
        }
        Ok(p)
    }
}

impl From<RetryPolicy> for RetryPolicyDraft {
    fn from(p: RetryPolicy) -> Self {
        Self {
            max_attempts: Some(p.max_attempts),
            initial_delay_ms: Some(p.initial_delay_ms),
            max_delay_ms: Some(p.max_delay_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_waits_about_1_2_4_seconds() {
        let p = RetryPolicy::default();
        let secs: Vec<u64> = (1..=3).map(|n| p.base_delay(n).as_secs()).collect();
        assert_eq!(secs, vec![1, 2, 4]);
        assert_eq!(p.base_delay(30), Duration::from_millis(p.max_delay_ms));
        assert_eq!(p.delay(1, 0.0), Duration::from_millis(800));
        assert_eq!(p.delay(1, 1.0), Duration::from_millis(1200));
    }

    #[test]
    fn missing_fields_come_from_the_base_and_ranges_are_enforced() {
        let p = RetryPolicyDraft {
            max_attempts: Some(6),
            ..Default::default()
        }
        .resolve(RetryPolicy::default())
        .unwrap();
        assert_eq!(p.max_attempts, 6);
        assert_eq!(p.initial_delay_ms, 1_000);
        let too_many = RetryPolicyDraft {
            max_attempts: Some(21),
            ..Default::default()
        };
        assert_eq!(
            too_many.resolve(RetryPolicy::default()).unwrap_err().field,
            "retry.max_attempts"
        );
        let inverted = RetryPolicyDraft {
            initial_delay_ms: Some(5_000),
            max_delay_ms: Some(1_000),
            ..Default::default()
        };
        assert!(inverted.resolve(RetryPolicy::default()).is_err());
    }
}
