//! The store's error: what a backend reports, classified for the layers above.

/// Store operations fail with this.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A unique key is taken; the text says which object.
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached right now (connection refused, pool timed
    /// out); worth retrying later, and a 503 to API clients.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// Any error of the SQLite writer's rusqlite connection (publishes and
    /// attempt results, see `store::sqlite::writer`).
    #[error("database error: {0}")]
    Sqlite(#[source] rusqlite::Error),
    /// A stored value could not be decoded (should never happen; logged loudly).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A batched write failed; every result in the batch carries this message.
    #[error("batched write failed: {0}")]
    Batch(String),
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
    Lock(std::path::PathBuf, #[source] std::io::Error),
    /// The `database_url` names no supported backend.
    #[error("unsupported database_url {0:?}: use sqlite://PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// Result of store operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Classify a driver error; `what` names the object for a conflict message.
    pub(crate) fn from_sqlx(e: sqlx::Error, what: &str) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Error::Conflict(format!("{what} already exists"))
            }
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => Error::Unavailable(e),
            _ => Error::Database(e),
        }
    }
}

impl Error {
    /// A row referred to a parent that does not exist (any more): e.g. an
    /// event of a tenant deleted meanwhile.
    pub fn is_missing_parent(&self) -> bool {
        match self {
            Error::Database(sqlx::Error::Database(db)) => db.is_foreign_key_violation(),
            Error::Sqlite(e) => {
                e.sqlite_error().map(|e| e.extended_code)
                    == Some(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY)
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::from_sqlx(e, "object")
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error().map(|e| e.extended_code) {
            Some(
                rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE,
            ) => Error::Conflict("object already exists".into()),
            _ => Error::Sqlite(e),
        }
    }
}
