//! A webhook's circuit breaker as stored: its run of failed attempts and,
//! once open, when the next probe may go.
//!
//! A webhook whose last `failure_threshold` attempts all found it down (no
//! answer, or a 5xx) is plainly down: its circuit opens, and its queued deliveries wait without spending
//! attempts until `next_probe_at`. Then one delivery goes as a probe
//! (half-open): success closes the circuit and the queue goes on at once;
//! failure keeps it open twice as long, up to [`MAX_OPEN_SECONDS`]. The rules
//! that move a circuit between states live in the store (one row per
//! webhook, changed under its row lock) and in `delivery::circuit`; this
//! module only names the states and the limits of the settings.
//!
//! It holds the state and the rules that read it; opening, probing and closing
//! happen in the store's transactions
//! ([`CircuitStore`](crate::store::CircuitStore)) and the node's view
//! ([`crate::delivery::circuit`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::id::WebhookId;

/// The longest a circuit stays open between probes (the doubling stops here).
pub const MAX_OPEN_SECONDS: u32 = 3_600;

/// The most consecutive failures `circuit_failure_threshold` may ask for:
/// beyond it the breaker would never open in practice, which is what an
/// absurd value means.
pub const MAX_FAILURE_THRESHOLD: u32 = 1_000;

/// One webhook's stored circuit (no row: closed, no failures counted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Circuit {
    /// The webhook it belongs to.
    pub webhook_id: WebhookId,
    /// Attempts in a row that found the receiver down, while closed.
    pub failures: u32,
    /// When it opened; `None` while closed.
    pub opened_at: Option<DateTime<Utc>>,
    /// When the next probe may go; `None` while closed.
    pub next_probe_at: Option<DateTime<Utc>>,
    /// How long it stays open after the last opening or failed probe.
    pub open_seconds: u32,
}

impl Circuit {
    /// Its state at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> CircuitState {
        match (self.opened_at, self.next_probe_at) {
            (Some(_), Some(probe)) if now < probe => CircuitState::Open,
            (Some(_), _) => CircuitState::HalfOpen,
            (None, _) => CircuitState::Closed,
        }
    }

    /// Whether it is open or half-open (not closed).
    pub fn is_open(&self) -> bool {
        self.opened_at.is_some()
    }
}

/// Where a circuit stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CircuitState {
    /// Deliveries go as usual.
    Closed,
    /// Deliveries wait; nothing is sent until `next_probe_at`.
    Open,
    /// The next delivery goes as a probe: success closes the circuit,
    /// failure opens it again for twice as long.
    HalfOpen,
}

impl CircuitState {
    /// The state's name in views and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            CircuitState::Closed => "closed",
            CircuitState::Open => "open",
            CircuitState::HalfOpen => "half_open",
        }
    }
}

/// The operator's breaker settings (config `circuit_failure_threshold`,
/// `circuit_open_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitSettings {
    /// Attempts in a row that found the receiver down that open a
    /// circuit, 1 to
    /// [`MAX_FAILURE_THRESHOLD`].
    pub failure_threshold: u32,
    /// How long a circuit first stays open, 1 to [`MAX_OPEN_SECONDS`].
    pub open_seconds: u32,
}

impl Default for CircuitSettings {
    /// Ten failures in a row open a circuit for a minute.
    fn default() -> Self {
        Self {
            failure_threshold: 10,
            open_seconds: 60,
        }
    }
}

impl CircuitSettings {
    /// Check both settings; the error names the config key at fault.
    pub fn validate(&self) -> Result<(), crate::ValidationError> {
        if !(1..=MAX_FAILURE_THRESHOLD).contains(&self.failure_threshold) {
            return Err(crate::ValidationError::field(
                "circuit_failure_threshold",
                format!(
                    "must be between 1 and {MAX_FAILURE_THRESHOLD} (got {})",
                    self.failure_threshold
                ),
            ));
        }
        if !(1..=MAX_OPEN_SECONDS).contains(&self.open_seconds) {
            return Err(crate::ValidationError::field(
                "circuit_open_seconds",
                format!(
                    "must be between 1 and {MAX_OPEN_SECONDS} (got {})",
                    self.open_seconds
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn a_circuit_is_open_until_its_probe_time_then_half_open() {
        let now = Utc::now();
        let mut c = Circuit {
            webhook_id: "wh_1".into(),
            failures: 3,
            opened_at: None,
            next_probe_at: None,
            open_seconds: 0,
        };
        assert_eq!(c.state(now), CircuitState::Closed);
        c.opened_at = Some(now);
        c.next_probe_at = Some(now + TimeDelta::seconds(60));
        assert_eq!(c.state(now), CircuitState::Open);
        assert_eq!(
            c.state(now + TimeDelta::seconds(60)),
            CircuitState::HalfOpen
        );
    }

    #[test]
    fn settings_out_of_range_name_their_key() {
        let zero = CircuitSettings {
            failure_threshold: 0,
            ..Default::default()
        };
        assert_eq!(
            zero.validate().unwrap_err().field,
            "circuit_failure_threshold"
        );
        let long = CircuitSettings {
            open_seconds: 3_601,
            ..Default::default()
        };
        assert_eq!(long.validate().unwrap_err().field, "circuit_open_seconds");
        assert!(CircuitSettings::default().validate().is_ok());
    }
}
