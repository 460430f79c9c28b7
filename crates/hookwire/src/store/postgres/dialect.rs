//! PostgreSQL's side of the shared statements ([`crate::store::sql`]): reads
//! and writes on the main pool (the hot statements' pool is the pipeline's),
//! times as `timestamptz`, flags as `boolean`.
//!
//! It runs statements; it must not hold SQL of its own.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::Postgres;

use super::PgStore;
use crate::store::sql::{read_by_name, Arg, Dialect, Write};
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
        let mut changed = Vec::with_capacity(statements.len());
        for (what, sql, args) in statements {
            let done = bound(sql, args)
                .execute(&mut *tx)
                .await
                .map_err(|e| Error::from_sqlx(e, what))?;
            changed.push(done.rows_affected());
        }
        tx.commit().await?;
        Ok(changed)
    }

    async fn read(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<PgRow>> {
        Ok(bound(sql, args).fetch_all(&self.pool).await?)
    }
}

read_by_name!(PgRow, |t: DateTime<Utc>| -> Result<DateTime<Utc>> { Ok(t) });
