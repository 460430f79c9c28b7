//! The engine's errors, one layer above the store's.

use std::fmt;

use crate::store;

/// Everything an engine operation can fail with. The HTTP layer maps each variant to
/// one status code; nothing here knows about HTTP.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's input broke a rule; nothing was changed.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A pagination cursor that we did not issue.
    #[error("the cursor is malformed; use next_cursor from a previous page")]
    InvalidCursor,
    /// The object does not exist, or belongs to another tenant (callers must not be
    /// able to tell the two apart).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The object already exists (a unique name or key is taken).
    #[error("{0}")]
    Conflict(String),
    /// An idempotency key used within its window for a different request: the
    /// caller reused a key by mistake, and replaying the first event would hide it.
    #[error(
        "this idempotency key was used in the last 24 h for a different event (type, channel \
         or data differ); send a new key for a new event"
    )]
    IdempotencyKeyReused,
    /// The database failed; the detail is logged, never shown to API clients.
    #[error(transparent)]
    Store(store::Error),
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Conflict(what) => Error::Conflict(what),
            other => Error::Store(other),
        }
    }
}

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
