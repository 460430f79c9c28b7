//! SQLite's side of the shared statements ([`crate::store::sql`]): writes on
//! the one writer connection, reads on the reader pool, times as
//! milliseconds, flags as integers.
//!
//! It runs statements; it must not hold SQL of its own, and every write takes
//! the one writer like any other.

use std::collections::BTreeMap;

use async_trait::async_trait;

use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Connection as _, Sqlite};

use super::{json, ms, time, to_json, SqliteStore};
use crate::store::sql::{read_by_name, write_each, Arg, Dialect, Tx, Work, Write};
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
            Arg::Strings(v) => q.bind(v.map(to_json).transpose()?),
            Arg::Map(v) => q.bind(to_json(v)?),
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
        let changed = write_each(&mut tx, statements).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn write_rows(&self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<Vec<SqliteRow>> {
        bound(sql, args)?
            .fetch_all(&mut *self.writer.lock().await)
            .await
            .map_err(|e| Error::from_sqlx(e, what))
    }

    async fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<SqliteRow>) -> Work<'t, T> + Send + 'static,
    {
        let mut writer = self.writer.lock().await;
        let mut tx = writer.begin().await?;
        let answer = work(&mut tx).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn read(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<SqliteRow>> {
        Ok(bound(sql, args)?.fetch_all(&self.reader).await?)
    }
}

#[async_trait]
impl Tx<SqliteRow> for sqlx::Transaction<'_, Sqlite> {
    async fn write(&mut self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let done = bound(sql, args)?
            .execute(&mut **self)
            .await
            .map_err(|e| Error::from_sqlx(e, what))?;
        Ok(done.rows_affected())
    }

    async fn rows(&mut self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<Vec<SqliteRow>> {
        bound(sql, args)?
            .fetch_all(&mut **self)
            .await
            .map_err(|e| Error::from_sqlx(e, what))
    }
}

read_by_name! {
    SqliteRow,
    time;
    fn strings(&self, column: &str) -> Result<Vec<String>> {
        json(&sqlx::Row::try_get::<String, _>(self, column)?, column)
    }

    fn opt_map(&self, column: &str) -> Result<Option<BTreeMap<String, String>>> {
        sqlx::Row::try_get::<Option<String>, _>(self, column)?
            .map(|raw| json(&raw, column))
            .transpose()
    }
}
