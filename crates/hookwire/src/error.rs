//! The engine's errors, one layer above the store's.
//!
//! It classifies, it does not log or retry: callers choose what an error means
//! for them (the server maps it to an HTTP status).

use crate::store;

pub use crate::page::PageError;
pub use crate::validation::ValidationError;

/// Everything an engine operation can fail with. The HTTP layer maps each variant to
/// one status code; nothing here knows about HTTP.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's input broke a rule; nothing was changed.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A pagination cursor that we did not issue.
    #[error("{}", PageError::Cursor)]
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

impl From<PageError> for Error {
    fn from(e: PageError) -> Self {
        match e {
            PageError::Limit(invalid) => Error::Invalid(invalid),
            PageError::Cursor => Error::InvalidCursor,
        }
    }
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        match e {
            store::Error::Conflict(what) => Error::Conflict(what),
            other => Error::Store(other),
        }
    }
}
