//! [`ValidationError`]: a rejected input value, named by its field. Every
//! layer that checks client input returns it; it depends on nothing, so any
//! module may.

use std::fmt;

/// A rejected input value: which field, a machine-readable code, and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    /// Snake-case code for clients to branch on (`invalid_field`,
    /// `invalid_webhook_url`, `unknown_event_type`).
    pub code: &'static str,
    /// The offending field's name as the client sent it (`retry.max_attempts`).
    pub field: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl ValidationError {
    /// A generic bad value in `field`.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::with_code("invalid_field", field, message)
    }

    /// A bad value with a specific code.
    pub fn with_code(
        code: &'static str,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ValidationError {}
