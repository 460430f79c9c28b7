//! The one connection every write goes through.
//!
//! SQLite lets one connection write at a time, so writes queue in-process on a
//! single connection rather than fight over the file lock. It is held here, not
//! in a pool of one: a pool tests a connection when it is taken and again when
//! it is given back — two extra round trips to SQLite's worker thread per
//! write transaction, measured at ~0.9 ms of a 2.4 ms group commit under load.
//!
//! sqlx runs every statement on a worker thread of its own, one channel round
//! trip per statement and one message per returned row. The group commit's
//! bulk writes — a row or two per publish and per attempt, hundreds per batch —
//! go instead through [`Direct`]: rusqlite on the same handle, borrowed from the
//! worker thread for the batch (one round trip) and run on the caller's thread.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::sqlite::{LockedSqliteHandle, SqliteConnectOptions};
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::{Mutex, MutexGuard};

use super::Result;

/// The writer connection, shared by the store's clones.
#[derive(Debug, Clone)]
pub(super) struct Writer(Arc<Mutex<Conns>>);

/// The writer connection, seen by sqlx and by rusqlite.
struct Conns {
    /// rusqlite's view of `sqlx`'s handle (it does not own it). Declared first
    /// so that it is dropped first: its cached statements are finalized while
    /// the handle is still open.
    direct: Direct,
    sqlx: SqliteConnection,
}

impl std::fmt::Debug for Conns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conns").field("sqlx", &self.sqlx).finish()
    }
}

impl Drop for Conns {
    fn drop(&mut self) {
        // rusqlite finalizes its cached statements when dropped; borrow the
        // handle from sqlx's worker thread for that, as for every other use.
        // The worker thread answers on its own, so blocking here cannot wait
        // on this thread's runtime.
        if let Ok(_handle) = futures::executor::block_on(self.sqlx.lock_handle()) {
            self.direct.0.flush_prepared_statement_cache();
        }
    }
}

impl Writer {
    pub(super) async fn connect(opts: &SqliteConnectOptions) -> Result<Self> {
        let mut sqlx = opts.connect().await?;
        let direct = {
            let mut handle = sqlx.lock_handle().await?;
            // SAFETY: the handle stays open as long as `sqlx` lives, and `Conns`
            // drops this view first. rusqlite only reaches it through
            // `Direct::run`, which takes a `LockedSqliteHandle` as proof that
            // sqlx's worker thread is not using the handle meanwhile.
            let conn =
                unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }?;
            Direct(conn)
        };
        Ok(Self(Arc::new(Mutex::new(Conns { direct, sqlx }))))
    }

    /// The connection, once the writes queued before this one are done. A
    /// caller cancelled mid-transaction leaves no transaction open: sqlx queues
    /// the rollback on the connection, ahead of the next writer's statements.
    pub(super) async fn lock(&self) -> WriterGuard<'_> {
        WriterGuard(self.0.lock().await)
    }
}

/// The writer connection, held.
pub(super) struct WriterGuard<'a>(MutexGuard<'a, Conns>);

impl WriterGuard<'_> {
    /// sqlx's connection and rusqlite's view of it, to use one at a time: open
    /// a transaction with sqlx, then run statements in it with [`Direct::run`].
    pub(super) fn split(&mut self) -> (&mut SqliteConnection, &mut Direct) {
        let Conns { direct, sqlx } = &mut *self.0;
        (sqlx, direct)
    }
}

impl Deref for WriterGuard<'_> {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.0.sqlx
    }
}

impl DerefMut for WriterGuard<'_> {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.0.sqlx
    }
}

/// rusqlite on the writer's handle: statements run on the calling thread, so a
/// batch of them costs no round trips to sqlx's worker thread.
pub(super) struct Direct(rusqlite::Connection);

impl Direct {
    /// Run `f` on the handle that `locked` holds — the writer's (the only
    /// SQLite connection a `Direct` exists for), inside whatever transaction
    /// sqlx has open on it. Blocking: `f` is meant to be a batch of statements
    /// that the worker thread would otherwise have run.
    pub(super) fn run<R>(
        &mut self,
        locked: LockedSqliteHandle<'_>,
        f: impl FnOnce(&rusqlite::Connection) -> R,
    ) -> R {
        let out = f(&self.0);
        drop(locked);
        out
    }
}
