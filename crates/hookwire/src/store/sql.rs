//! Store operations written once for both backends.
//!
//! Most statements differ between SQLite and PostgreSQL only in spelling
//! (placeholders, `IS NULL` casts, `RETURNING` support) and in how a value is
//! kept (a time is milliseconds in SQLite, `timestamptz` in PostgreSQL). For
//! those, the control flow and the row mapping live here, once, in one module
//! per family (`sql/audit.rs`, …), and each backend supplies two things:
//!
//! - its SQL text, as the constants of the family's statement trait (for
//!   example `AuditSql`), kept in the backend's own module next to its other
//!   SQL: each dialect's SQL stays its own;
//! - a [`Dialect`]: where reads and writes run (SQLite: the reader pool and
//!   the one writer connection; PostgreSQL: the pool), how an [`Arg`] is
//!   bound, and how a column is read back ([`Read`]).
//!
//! The family modules see no driver type, so neither backend's types leak
//! into the other. Every row is mapped once (`sql/rows.rs`), whichever
//! driver read it (SQLite's group commit reads through rusqlite). A read
//! inside a transaction goes through [`Dialect::transaction`] and [`Tx`]; the
//! claim runs its shared statements in a transaction its backend opens
//! where claims belong (`sql/claim.rs`).
//!
//! Operations whose statements differ in shape, not just in spelling — the
//! group commit, attempt records, fan-out inserts, send slots, circuits
//! (whose rules are decided once, in `store/circuits.rs`) — stay in the
//! backend modules: there the dialects do different work (arrays against
//! `json_each`, `FOR UPDATE SKIP LOCKED` against the one writer, SQLite's
//! writes of scheduling state that do not wait for the disk), and sharing
//! would hide that.

pub(crate) mod audit;
pub(crate) mod catalog;
pub(crate) mod claim;
pub(crate) mod history;
pub(crate) mod requeue;
pub(crate) mod retention;
pub(crate) mod rows;
pub(crate) mod sessions;
pub(crate) mod stats;
pub(crate) mod tenants;
pub(crate) mod webhooks;

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::Result;

/// One bound value of a shared statement, in the order of its placeholders.
/// The backend decides how each is kept (see [`Dialect`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    /// Text, or NULL.
    Text(Option<&'a str>),
    /// A 64-bit integer, or NULL.
    Int(Option<i64>),
    /// A point in time, or NULL: milliseconds in SQLite, `timestamptz` in
    /// PostgreSQL.
    Time(Option<DateTime<Utc>>),
    /// A flag, or NULL: `0`/`1` in SQLite, `boolean` in PostgreSQL.
    Bool(Option<bool>),
    /// A list of text, for `IN` a list: JSON text that SQLite's `json_each`
    /// reads, a `text[]` that PostgreSQL's `ANY` reads.
    List(&'a [&'a str]),
    /// A list of text kept in a column (a webhook's event filters): JSON text
    /// in SQLite, `text[]` in PostgreSQL.
    Strings(Option<&'a [String]>),
    /// A map of text kept in a column (headers): JSON text in SQLite,
    /// `jsonb` in PostgreSQL.
    Map(&'a BTreeMap<String, String>),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(v: &'a str) -> Self {
        Arg::Text(Some(v))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(v: &'a String) -> Self {
        Arg::Text(Some(v))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Arg::Text(v)
    }
}

impl<'a> From<&'a Option<String>> for Arg<'a> {
    fn from(v: &'a Option<String>) -> Self {
        Arg::Text(v.as_deref())
    }
}

impl From<i64> for Arg<'_> {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}

impl From<DateTime<Utc>> for Arg<'_> {
    fn from(v: DateTime<Utc>) -> Self {
        Arg::Time(Some(v))
    }
}

impl From<Option<DateTime<Utc>>> for Arg<'_> {
    fn from(v: Option<DateTime<Utc>>) -> Self {
        Arg::Time(v)
    }
}

impl From<bool> for Arg<'_> {
    fn from(v: bool) -> Self {
        Arg::Bool(Some(v))
    }
}

impl From<Option<bool>> for Arg<'_> {
    fn from(v: Option<bool>) -> Self {
        Arg::Bool(v)
    }
}

/// A row of a shared statement, read by column name. Each backend reads its
/// own representation (a time is an integer in SQLite) into the same types.
pub(crate) trait Read {
    /// A text column.
    fn text(&self, column: &str) -> Result<String>;
    /// A nullable text column.
    fn opt_text(&self, column: &str) -> Result<Option<String>>;
    /// A time column.
    fn time(&self, column: &str) -> Result<DateTime<Utc>>;
    /// A nullable time column.
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>>;
    /// A flag column.
    fn flag(&self, column: &str) -> Result<bool>;
    /// An integer column (counts).
    fn int(&self, column: &str) -> Result<i64>;
    /// A nullable floating-point column (averages).
    fn opt_float(&self, column: &str) -> Result<Option<f64>>;
    /// A 32-bit integer column (attempt numbers, HTTP statuses, settings):
    /// `INTEGER` in SQLite, `int4` in PostgreSQL.
    fn int32(&self, column: &str) -> Result<i32>;
    /// A nullable 32-bit integer column.
    fn opt_int32(&self, column: &str) -> Result<Option<i32>>;
    /// A list of text ([`Arg::Strings`]).
    fn strings(&self, column: &str) -> Result<Vec<String>>;
    /// A nullable map of text ([`Arg::Map`]).
    fn opt_map(&self, column: &str) -> Result<Option<BTreeMap<String, String>>>;
}

/// One write of a transaction: what it writes (for a conflict error), its
/// SQL and its values.
pub(crate) type Write<'a> = (&'a str, &'a str, &'a [Arg<'a>]);

/// The statements of one open transaction ([`Dialect::transaction`]). `what`
/// names the object in a conflict error.
#[async_trait]
pub(crate) trait Tx<R>: Send {
    /// Run a write; the number of rows it changed.
    async fn write(&mut self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<u64>;
    /// Run a statement that returns rows: a read (`FOR UPDATE` where the
    /// dialect has it), or a write with `RETURNING`.
    async fn rows(&mut self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<Vec<R>>;
}

/// Run `statements` in order in the open transaction `tx`: the rows each
/// changed (what [`Dialect::write_all`] commits).
pub(crate) async fn write_each<R>(
    tx: &mut dyn Tx<R>,
    statements: &[Write<'_>],
) -> Result<Vec<u64>> {
    let mut changed = Vec::with_capacity(statements.len());
    for (what, sql, args) in statements {
        changed.push(tx.write(what, sql, args).await?);
    }
    Ok(changed)
}

/// A transaction's work: given its statements, the future of its answer.
pub(crate) type Work<'t, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 't>>;

/// [`Read`] for a driver's row: text, numbers and flags read as themselves,
/// times through `$time`, the backend's conversion from its stored form; the
/// columns each backend keeps in its own form (lists, maps) are the items
/// given after it.
macro_rules! read_by_name {
    ($row:ty, $time:expr; $($own:tt)*) => {
        impl $crate::store::sql::Read for $row {
            $($own)*

            fn int32(&self, column: &str) -> $crate::store::Result<i32> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn opt_int32(&self, column: &str) -> $crate::store::Result<Option<i32>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn text(&self, column: &str) -> $crate::store::Result<String> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn opt_text(&self, column: &str) -> $crate::store::Result<Option<String>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn flag(&self, column: &str) -> $crate::store::Result<bool> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn int(&self, column: &str) -> $crate::store::Result<i64> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn opt_float(&self, column: &str) -> $crate::store::Result<Option<f64>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }

            fn time(&self, column: &str) -> $crate::store::Result<chrono::DateTime<chrono::Utc>> {
                ($time)(sqlx::Row::try_get(self, column)?)
            }

            fn opt_time(
                &self,
                column: &str,
            ) -> $crate::store::Result<Option<chrono::DateTime<chrono::Utc>>> {
                sqlx::Row::try_get::<Option<_>, _>(self, column)?
                    .map($time)
                    .transpose()
            }
        }
    };
}
pub(crate) use read_by_name;

/// Where a backend runs the shared statements, and how it binds their
/// values. `what` names the object in a conflict error ("tenant already
/// exists").
#[async_trait]
pub(crate) trait Dialect: Send + Sync {
    /// The backend's row.
    type Row: Read + Send;

    /// Run a write; the number of rows it changed.
    async fn write(&self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<u64>;

    /// Run writes in one transaction, in order; the rows each changed. A
    /// failing one rolls back them all.
    async fn write_all(&self, statements: &[Write<'_>]) -> Result<Vec<u64>>;

    /// Run `work` in one transaction where writes run, and commit it when
    /// `work` succeeds; an error rolls back everything `work` did. `work`
    /// owns what it captures, so it cannot reach around the transaction.
    async fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<Self::Row>) -> Work<'t, T> + Send + 'static;

    /// Tell every node's workers that deliveries became due (requeues):
    /// PostgreSQL notifies them; SQLite's one process needs nothing, as its
    /// workers look again when their own wait ends.
    async fn queue_changed(&self) -> Result<()> {
        Ok(())
    }

    /// Run a write that returns rows (`RETURNING`): where writes run, so
    /// SQLite's one writer takes it like any other write.
    async fn write_rows(&self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Self::Row>>;

    /// Run a read.
    async fn read(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Self::Row>>;

    /// Run a read of at most one row.
    async fn read_one(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Self::Row>> {
        Ok(self.read(sql, args).await?.into_iter().next())
    }
}
