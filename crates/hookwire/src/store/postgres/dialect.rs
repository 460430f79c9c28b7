//! PostgreSQL's side of the shared statements ([`crate::store::sql`]): reads
//! and writes on the main pool (the hot statements' pool is the pipeline's),
//! times as `timestamptz`, flags as `boolean`.
//!
//! It runs statements; it must not hold SQL of its own.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::types::Json;
use sqlx::Postgres;

use super::queue::notify;
use super::PgStore;
use crate::store::sql::{read_by_name, write_each, Arg, Dialect, Tx, Work, Write};
use crate::store::{Error, Result};

/// A statement being bound.
type Query<'q> = sqlx::query::Query<'q, Postgres, PgArguments>;

/// `sql` with `args` bound the way PostgreSQL keeps them.
fn bound<'q>(sql: &'q str, args: &[Arg<'q>]) -> Query<'q> {
    args.iter().fold(sqlx::query(sql), |q, arg| match *arg {
        Arg::Text(v) => q.bind(v),
        Arg::Int(v) => q.bind(v),
        Arg::Time(v) => q.bind(v),
        Arg::Bool(v) => q.bind(v),
        Arg::List(v) => q.bind(v),
        Arg::Strings(v) => q.bind(v),
        Arg::Map(v) => q.bind(Json(v)),
    })
}

#[async_trait]
impl Dialect for PgStore {
    type Row = PgRow;

    async fn write(&self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let done = bound(sql, args)
            .execute(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, what))?;
        Ok(done.rows_affected())
    }

    async fn write_all(&self, statements: &[Write<'_>]) -> Result<Vec<u64>> {
        let mut tx = self.pool.begin().await?;
        let changed = write_each(&mut tx, statements).await?;
        tx.commit().await?;
        Ok(changed)
    }

    async fn write_rows(&self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<Vec<PgRow>> {
        bound(sql, args)
            .fetch_all(&self.pool)
            .await
            .map_err(|e| Error::from_sqlx(e, what))
    }

    async fn transaction<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t mut dyn Tx<PgRow>) -> Work<'t, T> + Send + 'static,
    {
        let mut tx = self.pool.begin().await?;
        let answer = work(&mut tx).await?;
        tx.commit().await?;
        Ok(answer)
    }

    async fn queue_changed(&self) -> Result<()> {
        notify(&self.pool).await
    }

    async fn read(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<PgRow>> {
        Ok(bound(sql, args).fetch_all(&self.pool).await?)
    }
}

#[async_trait]
impl Tx<PgRow> for sqlx::Transaction<'_, Postgres> {
    async fn write(&mut self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let done = bound(sql, args)
            .execute(&mut **self)
            .await
            .map_err(|e| Error::from_sqlx(e, what))?;
        Ok(done.rows_affected())
    }

    async fn rows(&mut self, what: &str, sql: &str, args: &[Arg<'_>]) -> Result<Vec<PgRow>> {
        bound(sql, args)
            .fetch_all(&mut **self)
            .await
            .map_err(|e| Error::from_sqlx(e, what))
    }
}

read_by_name! {
    PgRow,
    |t: DateTime<Utc>| -> Result<DateTime<Utc>> { Ok(t) };
    fn strings(&self, column: &str) -> Result<Vec<String>> {
        Ok(sqlx::Row::try_get(self, column)?)
    }

    fn opt_map(&self, column: &str) -> Result<Option<BTreeMap<String, String>>> {
        let map: Option<Json<_>> = sqlx::Row::try_get(self, column)?;
        Ok(map.map(|Json(m)| m))
    }
}
