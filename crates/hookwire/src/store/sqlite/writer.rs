//! The connections every write goes through.
//!
//! SQLite lets one connection write at a time, so writes queue in-process
//! behind one lock rather than fight over the file lock. They are held here,
//! not in a pool of one: a pool tests a connection when it is taken and again
//! when it is given back — two extra round trips to SQLite's worker thread per
//! write transaction, measured at ~0.9 ms of a 2.4 ms group commit under load.
//!
//! Behind the lock are two connections to the same database. sqlx's serves
//! the writes that come one at a time (webhooks, tenants, claims). The group
//! commit — publishes and attempt results, hundreds of rows per batch — goes
//! through [`Inline`], a rusqlite connection that runs its statements on the
//! caller's thread: sqlx runs each statement on a worker thread of its own,
//! and on a busy machine every hop there waited ~0.3 ms for that thread to be
//! scheduled (measured: a third of a group commit's time).
//!
//! It owns the connections and their turn, not any statement: the modules that
//! write bring their own SQL.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::OpenFlags;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::{Mutex, MutexGuard};

use super::Result;

/// The writer connections, shared by the store's clones.
#[derive(Debug, Clone)]
pub(super) struct Writer(Arc<Mutex<Conns>>);

/// The two connections to the one file, used under one lock.
struct Conns {
    sqlx: SqliteConnection,
    inline: Inline,
}

impl std::fmt::Debug for Conns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conns").field("sqlx", &self.sqlx).finish()
    }
}

impl Writer {
    /// Open both connections with `opts`; `pragmas` and `busy_timeout` are
    /// the per-connection settings `opts` carries, applied to the rusqlite one.
    pub(super) async fn connect(
        opts: &SqliteConnectOptions,
        pragmas: &[(&str, &str)],
        busy_timeout: Duration,
    ) -> Result<Self> {
        let mut sqlx = opts.connect().await?;
        // Open the database sqlx opened: its file, or (in memory) the shared
        // in-memory database of that name.
        let file: String =
            sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                .fetch_one(&mut sqlx)
                .await?;
        let inline = if file.is_empty() {
            Inline::open_in_memory(opts.get_filename())?
        } else {
            Inline::open(Path::new(&file))?
        };
        inline.0.busy_timeout(busy_timeout)?;
        for (name, value) in pragmas {
            inline.0.pragma_update(None, name, value)?;
        }
        Ok(Self(Arc::new(Mutex::new(Conns { sqlx, inline }))))
    }

    /// The connections, once the writes queued before this one are done. A
    /// caller cancelled mid-transaction leaves no transaction open: sqlx queues
    /// the rollback on its connection, ahead of the next writer's statements,
    /// and a [`InlineTx`] rolls back when dropped.
    pub(super) async fn lock(&self) -> WriterGuard<'_> {
        WriterGuard(self.0.lock().await)
    }
}

/// The writer connections, held.
pub(super) struct WriterGuard<'a>(MutexGuard<'a, Conns>);

impl WriterGuard<'_> {
    /// The rusqlite connection.
    pub(super) fn inline(&mut self) -> &mut Inline {
        &mut self.0.inline
    }
}

impl std::ops::Deref for WriterGuard<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.0.sqlx
    }
}

impl std::ops::DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.0.sqlx
    }
}

/// The group commit's connection: statements run on the calling thread, so a
/// batch of them costs no hops to another thread (they block it for as long
/// as SQLite works — about what the hops cost in waiting).
pub(super) struct Inline(rusqlite::Connection);

impl Inline {
    /// Open the file for writing; the lock around it makes a mutex per connection
    /// unneeded (`NO_MUTEX`).
    fn open(path: &Path) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        Ok(Self(rusqlite::Connection::open_with_flags(path, flags)?))
    }

    /// sqlx opens in-memory databases shared-cache, under a URI name
    /// (`file:sqlx-in-memory-N`): the same name in memory mode is the same
    /// database.
    fn open_in_memory(name: &Path) -> Result<Self> {
        let name = name.to_string_lossy();
        let name = name.strip_prefix("file:").unwrap_or(&name);
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_SHARED_CACHE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let uri = format!("file:{name}?mode=memory&cache=shared");
        Ok(Self(rusqlite::Connection::open_with_flags(uri, flags)?))
    }

    /// Run `f` in autocommit mode with `synchronous = NORMAL` — its commits do
    /// not wait for the disk; the next durable commit syncs them — and set
    /// `FULL` again before returning. Nothing awaits in between, so no
    /// cancelled caller can leave the connection's commits undurable. For
    /// state that may be lost on power failure (send slots), never history.
    pub(super) fn unsynced<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        self.0.execute_batch("PRAGMA synchronous = NORMAL")?;
        let out = f(&self.0);
        self.0.execute_batch("PRAGMA synchronous = FULL")?;
        out
    }

    /// Begin a write transaction (`IMMEDIATE`: the write lock is taken now, so
    /// what the transaction reads stays current until it commits).
    pub(super) fn begin(&mut self) -> Result<InlineTx<'_>> {
        self.0.execute_batch("BEGIN IMMEDIATE")?;
        Ok(InlineTx {
            conn: &mut self.0,
            open: true,
        })
    }
}

/// An open transaction on [`Inline`], rolled back if dropped uncommitted.
///
/// Not rusqlite's `Transaction`: that one holds a shared reference to the
/// connection, which is not `Send`, so an async caller could not keep it in
/// a future at all; this one is `Send`, and it logs a failed rollback.
pub(super) struct InlineTx<'c> {
    conn: &'c mut rusqlite::Connection,
    open: bool,
}

impl InlineTx<'_> {
    /// The connection, to run statements in the transaction.
    pub(super) fn conn(&self) -> &rusqlite::Connection {
        self.conn
    }

    /// Commit (durably: `synchronous = FULL`).
    pub(super) fn commit(mut self) -> Result<()> {
        self.conn.execute_batch("COMMIT")?;
        self.open = false;
        Ok(())
    }
}

impl Drop for InlineTx<'_> {
    fn drop(&mut self) {
        if self.open && !self.conn.is_autocommit() {
            if let Err(e) = self.conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "rolling back a write transaction failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn synchronous(c: &rusqlite::Connection) -> i64 {
        c.pragma_query_value(None, "synchronous", |r| r.get(0))
            .expect("read synchronous")
    }

    #[test]
    fn unsynced_work_runs_at_normal_and_leaves_full_behind_even_when_it_fails() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("w.db");
        std::fs::File::create(&path).expect("an empty database file");
        let mut inline = Inline::open(&path).expect("open");
        inline
            .0
            .pragma_update(None, "synchronous", "FULL")
            .expect("FULL");
        let seen = inline.unsynced(|c| Ok(synchronous(c))).expect("runs");
        assert_eq!(seen, 1, "NORMAL inside");
        assert_eq!(synchronous(&inline.0), 2, "FULL after");
        let failed: Result<()> = inline.unsynced(|c| {
            c.execute_batch("SELECT * FROM no_such_table")?;
            Ok(())
        });
        assert!(failed.is_err());
        assert_eq!(synchronous(&inline.0), 2, "FULL after a failure too");
    }
}
