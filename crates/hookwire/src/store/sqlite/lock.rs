//! One process per SQLite file.
//!
//! A SQLite database is a single node: its worker takes back every lease it finds
//! at start, as left by a dead run, so a second process on the same file would
//! send deliveries the first still has in flight. [`ProcessLock`] makes the
//! second one fail at start instead: an exclusive advisory lock on
//! `<database>.lock`, held for the life of the process and released by the
//! operating system however the process ends (a crash leaves no stale lock).
//! Many nodes is what PostgreSQL is for.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use crate::store::{Error, Result};

/// Held while this process owns the SQLite database; dropping it releases it.
#[derive(Debug)]
pub struct ProcessLock {
    _file: File,
    path: PathBuf,
}

impl ProcessLock {
    /// Lock the database `url` names for this process. `None` for what needs
    /// no lock: an in-memory database (private to the process) or PostgreSQL.
    /// [`Error::InUse`] when another process holds it.
    pub fn acquire(url: &str) -> Result<Option<Self>> {
        if !url.starts_with("sqlite:") {
            return Ok(None);
        }
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Ok(None);
        }
        let options = SqliteConnectOptions::from_str(url)?;
        let database = options.get_filename();
        let mut path = database.as_os_str().to_owned();
        path.push(".lock");
        let path = PathBuf::from(path);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::Lock(path.clone(), std::sync::Arc::new(e)))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(Self { _file: file, path })),
            Err(TryLockError::WouldBlock) => Err(Error::InUse(database.to_path_buf())),
            Err(TryLockError::Error(e)) => Err(Error::Lock(path, std::sync::Arc::new(e))),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        let first = ProcessLock::acquire(&url)
            .unwrap()
            .expect("a file is locked");
        assert!(first.path().ends_with("a.db.lock"));
        let Err(Error::InUse(path)) = ProcessLock::acquire(&url) else {
            panic!("a second lock on the same file was granted")
        };
        assert!(path.ends_with("a.db"));
        let message = Error::InUse(path).to_string();
        assert!(message.contains("PostgreSQL"), "{message}");
        drop(first);
        assert!(ProcessLock::acquire(&url).unwrap().is_some());
        assert!(ProcessLock::acquire("sqlite::memory:").unwrap().is_none());
        assert!(ProcessLock::acquire("postgres://x@127.0.0.1/db")
            .unwrap()
            .is_none());
    }
}
