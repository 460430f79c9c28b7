//! The store's error: what a backend reports, classified for the layers above.
//!
//! No driver type appears in it: a backend classifies its driver's errors
//! where they arise (`from_sqlx`, and the SQLite writer's conversion), and
//! keeps the driver's error only as the source, for logs. Errors are cheap to
//! clone, so the writes that shared one failed batch each get the same error,
//! of the same class (an unavailable database stays a 503 for every caller).

use std::sync::Arc;

/// The underlying error of a store failure, shared by every copy of it.
pub type Source = Arc<dyn std::error::Error + Send + Sync>;

/// Store operations fail with this.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// A unique key is taken; the text says which object.
    #[error("{0}")]
    Conflict(String),
    /// A row referred to a parent that does not exist (any more): e.g. an
    /// event of a tenant deleted meanwhile.
    #[error("database error: {0}")]
    MissingParent(#[source] Source),
    /// The database cannot be reached right now (connection refused, pool timed
    /// out); worth retrying later, and a 503 to API clients.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Source),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] Source),
    /// A stored value could not be decoded (should never happen; logged loudly).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[source] Source),
    /// The write was queued for a group commit whose task went away before
    /// answering (the runtime is shutting down).
    #[error("write batch abandoned")]
    Abandoned,
    /// Another process holds the SQLite database (see
    /// [`ProcessLock`](super::sqlite::ProcessLock)).
    #[error(
        "{} is in use by another hookwire process; a SQLite database serves one process. \
         To run several nodes, put them on PostgreSQL (database_url = \"postgres://…\")",
        .0.display()
    )]
    InUse(std::path::PathBuf),
    /// The SQLite database's lock file could not be opened or locked.
    #[error("cannot lock {}", .0.display())]
    Lock(std::path::PathBuf, #[source] Source),
    /// The `database_url` names no supported backend.
    #[error("unsupported database_url {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// Result of store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Classify an sqlx error; `what` names the object for a conflict message.
    pub(crate) fn from_sqlx(e: sqlx::Error, what: &str) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(format!("{what} already exists"))
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Error::MissingParent(Arc::new(e))
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Error::Unavailable(Arc::new(e)),
            _ => Error::Database(Arc::new(e)),
        }
    }

    /// A row referred to a parent that does not exist (any more).
    pub fn is_missing_parent(&self) -> bool {
        matches!(self, Error::MissingParent(_))
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from_sqlx(e, "object")
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::Migrate(Arc::new(e))
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match e.sqlite_error().map(|e| e.extended_code) {
            Some(ffi::SQLITE_CONSTRAINT_PRIMARYKEY | ffi::SQLITE_CONSTRAINT_UNIQUE) => {
                Error::Conflict("object already exists".into())
            }
            Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => Error::MissingParent(Arc::new(e)),
            Some(ffi::SQLITE_CANTOPEN | ffi::SQLITE_IOERR) => Error::Unavailable(Arc::new(e)),
            _ => Error::Database(Arc::new(e)),
        }
    }
}
