//! SQLite's side of the shared statements ([`crate::store::sql`]): writes on
//! the one writer connection, reads on the reader pool, times as
//! milliseconds, flags as integers.
//!
//! It runs statements; it must not hold SQL of its own, and every write takes
//! the one writer like any other.

use async_trait::async_trait;

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Connection as _, Sqlite};

use super::{ms, time, to_json, SqliteStore};
use crate::store::sql::{read_by_name, Arg, Dialect, Write};
use crate::store::{Error, Result};

/// A statement being bound.
type Query<'q> = sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>>;

/// `sql` with `args` bound the way SQLite keeps them.
fn bound<'q>(sql: &'q str, args: &[Arg<'q>]) -> Result<Query<'q>> {
    args.iter().try_fold(sqlx::query(sql), |q, arg| {
        Ok(match *arg {
            Arg::Text(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Time(v) => q.bind(v.map(ms)),
            Arg::Bool(v) => q.bind(v),
            Arg::List(v) => q.bind(to_json(&v)?),
        })
    })
}

#[async_trait]
impl Dialect for SqliteStore {
    type Row = SqliteRow;

    async fn write(&self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let done = bound(sql, args)?
            .execute(&mut *self.writer.lock().await)
            .await
            .map_err(|e| Error::from_sqlx(e, what))?;
        Ok(done.rows_affected())
    }

    async fn write_all(&self, statements: &[Write<'_>]) -> Result<Vec<u64>> {
        let mut writer = self.writer.lock().await;
        let mut tx = writer.begin().await?;
        let mut changed = Vec::with_capacity(statements.len());
        for (what, sql, args) in statements {
            let done = bound(sql, args)?
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_sqlx(e, what))?;
            changed.push(done.rows_affected());
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn read(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<SqliteRow>> {
        Ok(bound(sql, args)?.fetch_all(&self.reader).await?)
    }
}

read_by_name!(SqliteRow, time);
